"""Generating code from a hostile model or board file never runs what its strings say.

A real int8 model gets its tensor names (and its file name) replaced by comment terminators, C code,
trigraphs, make/shell expansions, newlines, non-UTF-8 bytes and a very long name; board files get
each value replaced in turn. Nothing hostile may reach a generated file as written, the injected
symbol must not exist, and the model must still build and match TFLM bit for bit.
"""

from __future__ import annotations

import copy
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import require_tool

from tfcompress.boards import load_board
from tfcompress.boards.loader import board_from_dict, check_board
from tfcompress.errors import TfcError
from tfcompress.project import build_project, generate_project

try:
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - Python 3.10
    import tomli as tomllib  # type: ignore[no-redef]

FIXTURE = Path(__file__).parent / "fixtures" / "firmware" / "model"
MARKER = "tfc_pwned_marker"
INJECTED = "tfc_injected_symbol"
#: what every context of the generated files escapes: controls, non-ASCII, backslash, $, backtick,
#: comment delimiters and trigraph starts
MUST_ESCAPE = re.compile(r"[^\x20-\x7e]|[\\$`]|\*/|/\*|\?\?")


def hostile_names(marker: Path) -> list[bytes]:
    """Tensor names, each with something that must be escaped in every context of the generated files."""
    texts = [
        f"x */ int {INJECTED} = 42; /* y",
        "start /* nested",
        "line\n#error tfc injected line\n",
        "splice \\",
        "cr\r\nlf\r",
        "trigraph ??/",
        "quotes \" ' \\\" end",
        f"$(shell touch {marker})",
        f"`touch {marker}`",
        "<script>alert(1)</script>\n| [x](javascript:alert(1))",
        "// line comment \\\n int tfc_injected_line = 1;",
        "tab\tnul\x00bel\x07",
        "\u202eevil\u202c gr\u00f6\u00dfe",
        "L" * 100_000 + " */",
    ]
    names = [t.encode("utf-8") for t in texts]
    names.append(b"bad utf8 \xff\xfe\xc3 */ int tfc_injected_bytes = 1; /*")
    return names


def _rename(tflite: bytes, names: list[bytes]) -> bytes:
    """The model with its tensors renamed (the output tensor gets the injection)."""
    import flatbuffers

    from tfcompress.engine.schema import schema

    s = schema()
    model = s.ModelT.InitFromObj(s.Model.GetRootAsModel(tflite, 0))
    sg = model.subgraphs[0]
    out = sg.outputs[0]
    sg.tensors[out].name = names[0]
    others = [i for i in range(len(sg.tensors)) if i != out]
    for k, i in enumerate(others):
        sg.tensors[i].name = names[1 + k % (len(names) - 1)]
    b = flatbuffers.Builder(0)
    b.Finish(model.Pack(b), file_identifier=b"TFL3")
    return bytes(b.Output())


@pytest.fixture(scope="module")
def tiny_tflite() -> bytes:
    """A small int8 model with every tensor kind: input, conv weights/bias, activations, dense, softmax."""
    from helpers.keras_models import to_int8_tflite

    from tfcompress.tfenv import keras

    K = keras()
    K.utils.set_random_seed(3)
    x = inp = K.Input((8, 8, 2))
    x = K.layers.Conv2D(4, 3, padding="same", activation="relu")(x)
    x = K.layers.DepthwiseConv2D(3, padding="valid")(x)
    x = K.layers.Flatten()(x)
    x = K.layers.Dense(5)(x)
    x = K.layers.Softmax()(x)
    return to_int8_tflite(K.Model(inp, x), seed=3)


def _texts(root: Path) -> dict[Path, str]:
    out = {}
    for f in sorted(root.rglob("*")):
        if f.is_file() and f.suffix not in (".o", ".elf", ".bin", ".map", ".so"):
            out[f] = f.read_bytes().decode("utf-8")  # every generated file is valid UTF-8
    return out


def _assert_absent(root: Path, hostile: list[str]) -> None:
    for s in hostile:  # each one holds something every context escapes, so it must not appear as it is
        assert MUST_ESCAPE.search(s), s
    for f, text in _texts(root).items():
        for s in hostile:
            assert s not in text, f"{s[:40]!r} reached {f.relative_to(root)} verbatim"
        if f.parent == root and f.suffix in (".c", ".h", ".ld"):  # the generated ones, not firmware/ copies
            assert "??" not in text and "\\\n" not in text, f"trigraph or line splice in {f}"


def _nm(nm: str, obj: Path) -> str:
    return subprocess.run([nm, str(obj)], capture_output=True, text=True, check=True).stdout


def test_hostile_tensor_and_file_names(tiny_tflite, tmp_path):
    from tfcompress.engine.compiler import compile_tflite
    from tfcompress.engine.host import HostModel
    from tfcompress.tflm import TflmModel

    cc = require_tool("cc", "build-essential")
    marker = tmp_path / MARKER
    names = hostile_names(marker)
    evil = _rename(tiny_tflite, names)
    # the file name too: everything a Linux file name may hold (no '/'), non-UTF-8 bytes included
    fname = os.fsdecode(b'evil *\n#error tfc ??=define ??( \\ "$(shell touch ' + MARKER.encode() + b')" `id` \xff\xfe.tflite')
    path = tmp_path / fname
    path.write_bytes(evil)

    compiled = compile_tflite(path)
    assert compiled.graph.t(compiled.graph.outputs[0]).name.startswith("x */")  # the names did go through
    eng = tmp_path / "engine_out"
    compiled.write(eng)
    hostile = [n.decode("utf-8", "replace") for n in names] + [fname]
    _assert_absent(eng, hostile)
    model_c = (eng / "model.c").read_text()
    assert "x * / int tfc_injected_symbol = 42; / * y" in model_c  # shown, harmlessly
    assert max(map(len, model_c.splitlines())) < 1000  # the 100k name is cut

    # host compiler, ISO C (trigraphs on), every warning an error: no injected symbol, no #error
    obj = tmp_path / "model.o"
    subprocess.run([cc, "-std=c99", "-Wall", "-Wextra", "-Werror", "-c", "-I", str(eng), str(eng / "model.c"),
                    "-o", str(obj)], check=True)
    assert "tfc_injected" not in _nm(require_tool("nm", "binutils"), obj)

    # still the same model: bit-exact with TFLM on the renamed file
    ours, ref = HostModel(compiled), TflmModel(evil)
    rng = np.random.default_rng(0)
    for _ in range(4):
        x = rng.integers(-128, 128, size=compiled.input.shape, dtype=np.int8)
        np.testing.assert_array_equal(ours.run(x), ref.run(x))

    # the firmware project around it
    out = tmp_path / "fw"
    generate_project(compiled, load_board("mps2-an500"), out)
    _assert_absent(out, hostile)
    if shutil.which("arm-none-eabi-gcc"):
        result = build_project(out)
        assert "tfc_injected" not in _nm("arm-none-eabi-nm", result.elf)
    assert not marker.exists() and not (out / MARKER).exists()


def _leaves(d: Any, path: tuple = ()) -> list[tuple]:
    if isinstance(d, dict):
        return [leaf for k, v in d.items() for leaf in _leaves(v, (*path, k))]
    if isinstance(d, list):
        return [leaf for i, v in enumerate(d) for leaf in _leaves(v, (*path, i))]
    return [path]


def _set(d: Any, path: tuple, value: Any) -> None:
    for k in path[:-1]:
        d = d[k]
    d[path[-1]] = value


@pytest.mark.parametrize("board_name", ["mps2-an500", "stm32h747i-disco"])
def test_hostile_board_values(board_name, tmp_path):
    """Every value of a board file, replaced by hostile text in turn: the board is refused with a
    TfcError naming the key, or the project is generated with the text escaped (make -n runs no
    $(shell ...))."""
    from importlib import resources

    make = require_tool("make", "make")
    marker = tmp_path / MARKER
    hostile = (f"x */ int {INJECTED} = 42; /* y\n#error injected\n$(shell touch {marker}) `touch {marker}` "
               "\"q\" 'q' \\ ??/ <b>|[l](javascript:x)")
    raw = tomllib.loads(resources.files("tfcompress.boards").joinpath(f"{board_name}.toml").read_text())
    refused, generated = [], []
    for leaf in _leaves(raw):
        data = copy.deepcopy(raw)
        _set(data, leaf, hostile)
        key = ".".join(map(str, leaf))
        try:
            board = check_board(board_from_dict(data))
        except TfcError as err:
            refused.append(key)
            last = [p for p in leaf if isinstance(p, str)][-1]
            assert err.what.startswith("board key '") and last in err.what.split("'")[1], err.what
            assert hostile not in err.line()
            continue
        out = tmp_path / key.replace("/", "_")
        generate_project(FIXTURE, board, out)
        _assert_absent(out, [hostile])
        subprocess.run([make, "-n", "-C", str(out)], capture_output=True, check=False)
        generated.append(key)
    assert not marker.exists()
    # values written as tokens or numbers are refused; prose is escaped
    for key in ("name", "core", "fpu", "float_abi", "clock_hz", "memory.text", "memory.regions.0.name",
                "memory.regions.0.length", "uart.driver", "counter.kind"):
        assert key in refused
    for key in ("description", "mcu", "clock_setup", "memory.regions.0.note", "uart.peripheral"):
        assert key in generated or (key == "uart.peripheral" and "renode" in raw)


def test_hostile_model_hash_from_a_model_directory(tmp_path):
    """A model directory given by the user may carry any model.h: its hash is escaped in the project."""
    model = tmp_path / "model"
    shutil.copytree(FIXTURE, model)
    h = model / "model.h"
    bad = 'x */ int tfc_injected_symbol = 42; /* `id` $(shell id) | <b>'
    h.write_text(re.sub(r'#define TFC_MODEL_HASH ".*"', f'#define TFC_MODEL_HASH "{bad}"', h.read_text()))
    out = tmp_path / "fw"
    generate_project(model, load_board("mps2-an500"), out)
    # model.h is the user's own copy; JSON holds it as data (json.dumps is safe)
    texts = {f.name: t for f, t in _texts(out).items() if f.parent == out and f.name not in ("model.h", "tfcompress.json")}
    for name, text in texts.items():
        assert bad not in text, name
        if name.endswith((".c", ".h", ".ld")):
            assert "*/ int" not in text, name


def test_board_name_that_is_not_a_file_name(tmp_path):
    board = load_board("mps2-an500")
    import dataclasses

    evil = dataclasses.replace(board, name="../../escape")
    with pytest.raises(TfcError, match="file name"):
        generate_project(FIXTURE, evil, tmp_path / "fw")
    assert not (tmp_path / "fw").exists()
