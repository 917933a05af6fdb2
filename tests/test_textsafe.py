"""tfcompress.textsafe: outside strings made safe for each context of the generated files."""

from __future__ import annotations

import re
import subprocess

import pytest
from conftest import require_tool
from hypothesis import given, settings
from hypothesis import strategies as st

from tfcompress import textsafe
from tfcompress.errors import TfcError

HOSTILE = [
    "x */ int tfc_injected_symbol = 42; /* y",
    "a/*b", "a//b", "*/", "/*/", "**//**", "end\\", "line\\\nsplice", "two\nlines", "cr\rlf\r\n",
    "??/", "???/", "??=define X", '"quoted" \'single\'', "#include <stdio.h>", "$(shell touch pwned)",
    "`id`", "tab\there", "nul\x00byte", "\ufffd\ufffd", "gr\u00f6\u00dfe", "\u202eevil", "\ud800lone",
    "<script>alert(1)</script>", "[x](javascript:alert(1))", "a | b", "&lt;", "x" * 5000,
]
TEXT = st.text(alphabet=st.characters(min_codepoint=0, max_codepoint=0x10FFFF), max_size=80) | st.sampled_from(HOSTILE)
PRINTABLE = set(map(chr, range(0x20, 0x7F)))


def _comment_ok(text: str) -> None:
    assert set(text) <= PRINTABLE - set("\\$`")
    for pair in ("*/", "/*", "//", "??"):
        assert pair not in text


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_comment_text_cannot_leave_the_comment(s: str) -> None:
    out = textsafe.c_comment(s)
    _comment_ok(out)
    assert len(out) <= textsafe.COMMENT_LIMIT
    assert textsafe.c_comment(out) == out  # idempotent: escaping twice is harmless


def test_comment_keeps_ordinary_names_and_shows_the_rest() -> None:
    for name in ("model/conv2d/Relu;model/conv2d/Conv2D", "serving_default_input_1:0", "StatefulPartitionedCall:0",
                 "fixed 25 MHz FPGA clock; nothing to configure", "4 MB SSRAM1 (writable in QEMU, used as flash)"):
        assert textsafe.c_comment(name) == name
    assert textsafe.c_comment("x */ y") == "x * / y"
    assert textsafe.c_comment("a\nb") == "a<U+000A>b"
    assert textsafe.c_comment("??/") == "? ?/"
    long = textsafe.c_comment("n" * 1000, limit=20)
    assert long == "n" * 17 + "..."


def _decode_c_string(lit: str) -> bytes:
    assert lit[0] == lit[-1] == '"'
    out, i, body = bytearray(), 0, lit[1:-1]
    while i < len(body):
        if body[i] == "\\":
            if body[i + 1] in "01234567":
                out.append(int(body[i + 1:i + 4], 8))
                i += 4
                continue
            assert body[i + 1] in '"\\?'
            out += body[i + 1].encode()
            i += 2
        else:
            assert body[i] != '"'
            out += body[i].encode()
            i += 1
    return bytes(out)


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_c_string_round_trips(s: str) -> None:
    lit = textsafe.c_string(s)
    assert set(lit) <= PRINTABLE and "??" not in lit
    assert _decode_c_string(lit) == s.encode("utf-8", "surrogatepass")


def test_c_string_and_comments_compile_to_the_same_bytes(tmp_path) -> None:
    """The host compiler reads each literal back as the UTF-8 bytes of the string, and the comments
    around them hide everything (trigraphs on, all warnings as errors)."""
    cc = require_tool("cc", "build-essential")
    strings = [s for s in HOSTILE if "\ud800" not in s]
    lines = ["#include <stdio.h>", "#include <string.h>", "int main(void) {"]
    for i, s in enumerate(strings):
        lines.append(f"    /* {textsafe.c_comment(s)} */ // {textsafe.c_comment(s)}")
        lines.append(f"    {{ static const char s{i}[] = {textsafe.c_string(s)}; fwrite(s{i}, 1, sizeof s{i} - 1, stdout);"
                     " fputc(0xff, stdout); }")
    lines += ["    return 0;", "}"]
    src = tmp_path / "t.c"
    src.write_text("\n".join(lines) + "\n", encoding="ascii")
    exe = tmp_path / "t"
    subprocess.run([cc, "-std=c99", "-trigraphs", "-Wall", "-Wextra", "-Werror", "-o", str(exe), str(src)], check=True)
    out = subprocess.run([str(exe)], check=True, capture_output=True).stdout
    assert out.split(b"\xff")[:-1] == [s.encode("utf-8") for s in strings]


@given(TEXT)
@settings(max_examples=300, deadline=None)
def test_markdown_text_is_never_markup(s: str) -> None:
    out = textsafe.md_text(s)
    assert set(out) <= PRINTABLE
    bare = re.sub(r"\\.", "", out)  # what is left once every backslash escape is taken out
    assert not set(bare) & set("\\`*_[]<>|&~#!")
    code = textsafe.md_code(s)
    assert set(code) <= PRINTABLE - set("`|")


def test_tokens_are_checked_not_rewritten() -> None:
    assert textsafe.ld_name("AXI_SRAM") == "AXI_SRAM"
    assert textsafe.make_word("-mfpu=fpv5-d16") == "-mfpu=fpv5-d16"
    for bad in ("RAM) } SECTIONS {", "", "1RAM", "R\u00c4M"):
        with pytest.raises(TfcError, match="letters, digits"):
            textsafe.ld_name(bad)
    for bad in ("cortex-m7 $(shell id)", "a;b", "", "x\ny", "a#b", "`id`"):
        with pytest.raises(TfcError, match="Makefile as one word"):
            textsafe.make_word(bad)
    err = pytest.raises(TfcError, textsafe.make_word, "\x1b[2J" + "z" * 200).value
    assert "\x1b" not in err.line() and len(err.line()) < 300  # no terminal escapes, no flood


@pytest.mark.parametrize("name, ok", [
    ("digits", True), ("eye-gaze_v2.1", True), ("_x", True), ("..", False), (".hidden", False), ("../up", False),
    ("a/b", False), ("a\\b", False), ("-rf", False), ("", False), ("sp ace", False), ("\u00e9", False),
    ("x" * 64, True), ("x" * 65, False), ("nul\x00", False),
])
def test_path_components(name: str, ok: bool) -> None:
    assert textsafe.is_path_component(name) is ok
