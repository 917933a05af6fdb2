"""Make outside strings safe for the generated files they are written into.

Tensor and op names come from .tflite files (model zoos, colleagues, customers), board values
from board TOML files, names from recipes. Generating code from them must never run what they
say, so every such string is written through one of these functions, chosen by the context it
lands in (the Jinja filters of :func:`tfcompress.resources.template_env` are these functions):

====================  ==========================================================================
context               function
====================  ==========================================================================
C/C++ comment         :func:`c_comment` (``/* ... */`` and ``// ...``; also safe in the others)
C string literal      :func:`c_string` (returns the literal, quotes included)
linker script         :func:`ld_comment` (``/* ... */``), :func:`ld_name` (a MEMORY region name)
Makefile              :func:`make_comment` (``# ...``), :func:`make_word` (a flag or value that
                      also reaches the shell, e.g. ``-mcpu=...``)
shell/Renode script   :func:`script_comment` (``# ...``), :func:`script_word` (one word)
any of the above      :func:`integer` (a number from a data file: an int, nothing else)
Markdown              :func:`md_text` (inline text, table cells), :func:`md_code` (inside a
                      single-backtick code span)
JSON                  ``json.dumps`` (already safe: quotes, backslashes and control characters
                      are escaped, non-ASCII too by default)
file/folder name      :func:`is_path_component` (a check: names are never rewritten)
====================  ==========================================================================

Comments are conservative and lossy by design: their text is printable ASCII without any
character or pair that could end the comment or change how the lines around it are read
(``*/``, ``/*``, ``//``, backslashes, newlines, ``??`` trigraph starts, ``$`` and backticks);
anything else is shown as ``<U+XXXX>``. Values that a tool reads as a token (flags, region
names) cannot be escaped without changing their meaning, so they are checked instead and a
:class:`~tfcompress.errors.TfcError` names the value and the allowed characters.
"""

from __future__ import annotations

import numbers
import re
from typing import Any

from tfcompress.errors import TfcError

#: Longest comment text kept (characters after escaping); longer text ends in "...".
COMMENT_LIMIT = 256

#: Characters kept as they are in comments: printable ASCII except \ (line splices), $ (make and
#: shell expansion) and ` (shell command substitution).
_COMMENT_CHARS = frozenset(chr(c) for c in range(0x20, 0x7F)) - set("\\$`")
#: Adjacent pairs that open or close a comment or start a trigraph; a space goes between them.
_COMMENT_PAIRS = frozenset({"*/", "/*", "//", "??"})

#: ASCII punctuation that Markdown (CommonMark + GitHub tables) can read as markup or raw HTML.
_MD_SPECIAL = frozenset("\\`*_[]<>|&~#!")

_LD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MAKE_WORD = re.compile(r"[A-Za-z0-9_.+=/-]+")
_WORD_CHARS = "letters, digits and '.', '_', '+', '=', '/', '-'"
_PATH_COMPONENT = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")

#: How :func:`is_path_component` names the allowed characters in error messages.
PATH_COMPONENT_RULE = ("letters, digits, '-', '_' and '.', starting with a letter, digit or '_', "
                       "at most 64 characters")
PATH_COMPONENT_MAX = 64


def _codepoint(ch: str) -> str:
    return f"<U+{ord(ch):04X}>"


def show(value: Any, limit: int = 60) -> str:
    """A short, printable-ASCII quotation of ``value`` for error messages (no terminal escapes)."""
    text = str(value)
    cut = text[:limit]
    return ascii(cut) + ("..." if len(text) > limit else "")


def c_comment(value: Any, limit: int = COMMENT_LIMIT) -> str:
    """``value`` as text for a C or C++ comment (``/* ... */`` or ``// ...``), also safe in a linker
    script comment and in a ``#`` comment of a Makefile or shell script.

    The result is printable ASCII without ``\\``, ``$``, backticks, newlines, ``*/``, ``/*``, ``//``
    or ``??``; other characters read ``<U+XXXX>``, the forbidden pairs get a space between their
    characters, and text longer than ``limit`` is cut (ending in ``...``). The template puts a space
    between this text and the comment's delimiters. Applying it twice changes nothing."""
    pieces: list[str] = []
    prev = ""
    for ch in str(value)[:limit + 1]:  # each character gives at least one: the rest is cut anyway
        piece = ch if ch in _COMMENT_CHARS else _codepoint(ch)
        if prev + piece[0] in _COMMENT_PAIRS:
            piece = " " + piece
        pieces.append(piece)
        prev = piece[-1]
    if sum(map(len, pieces)) <= limit:
        return "".join(pieces)
    kept, size = [], 3  # room for the "..."
    for piece in pieces:
        if size + len(piece) > limit:
            break
        kept.append(piece)
        size += len(piece)
    return "".join(kept) + "..."


#: GNU ld scripts take C comments; ``#`` comments of Makefiles and scripts end only at a newline
#: (which c_comment never writes; nor backslashes, which continue a make comment).
ld_comment = make_comment = script_comment = c_comment


def c_string(value: Any) -> str:
    """``value`` as a complete C string literal, quotes included.

    Printable ASCII stays (``"``, ``\\`` and ``?`` backslash-escaped: no trigraphs); everything else,
    non-ASCII as its UTF-8 bytes, becomes three-digit octal escapes (octal escapes end after three
    digits, unlike ``\\x`` escapes that would swallow a following hex digit)."""
    out = ['"']
    for ch in str(value):
        if ch in '"\\?':
            out.append("\\" + ch)
        elif " " <= ch <= "~":
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogatepass"))
    out.append('"')
    return "".join(out)


def _check(value: Any, pattern: re.Pattern[str], what: str, allowed: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise TfcError(f"{show(value)} cannot be written into {what}", f"use only {allowed}")
    return value


def ld_name(value: Any) -> str:
    """``value`` unchanged if it is a valid linker-script MEMORY region name (a C identifier),
    else a TfcError."""
    return _check(value, _LD_NAME, "a linker script as a memory region name",
                  "letters, digits and '_', not starting with a digit")


def make_word(value: Any) -> str:
    """``value`` unchanged if it is safe as one word of a Makefile that the shell also reads
    (compiler flags, machine names, numbers), else a TfcError."""
    return _check(value, _MAKE_WORD, "the Makefile as one word (make and the shell read it)", _WORD_CHARS)


def script_word(value: Any) -> str:
    """``value`` unchanged if it is safe as one word of a generated script (Renode's ``.resc``: a
    machine name, a platform path, a peripheral), else a TfcError."""
    return _check(value, _MAKE_WORD, "a generated script as one word", _WORD_CHARS)


def integer(value: Any) -> str:
    """``value`` as a decimal literal if it is an integer (not a bool), else a TfcError: numbers from
    board files are written as they are, so a string in their place must not get through."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    raise TfcError(f"{show(value)} was written where a generated file needs an integer",
                   "give the number without quotes in the board file")


def md_text(value: Any) -> str:
    """``value`` as inline Markdown text (also inside a table cell): shown exactly as written, never
    read as markup, a link or raw HTML. Markdown punctuation is backslash-escaped, other characters
    outside printable ASCII read ``<U+XXXX>``."""
    out = []
    for ch in str(value):
        for c in (ch if " " <= ch <= "~" else _codepoint(ch)):
            out.append("\\" + c if c in _MD_SPECIAL else c)
    return "".join(out)


def md_code(value: Any) -> str:
    """``value`` as the text inside a single-backtick Markdown code span (where backslashes do not
    escape): backticks, ``|`` (a table cell border even there) and characters outside printable
    ASCII read ``<U+XXXX>``."""
    return "".join(ch if " " <= ch <= "~" and ch not in "`|" else _codepoint(ch) for ch in str(value))


def is_path_component(value: Any) -> bool:
    """Whether ``value`` is safe as one file or folder name that tfcompress creates: see
    :data:`PATH_COMPONENT_RULE` (no separators, no ``..``, no hidden names)."""
    return (isinstance(value, str) and len(value) <= PATH_COMPONENT_MAX
            and _PATH_COMPONENT.fullmatch(value) is not None)
