"""Column arithmetic between UTF-8 bytes (tree-sitter), code points and UTF-16 units.

Tree-sitter reports byte columns; the CLI prints code-point columns; LSP clients
negotiate UTF-8, UTF-16 or UTF-32 units. All conversions work on one line's bytes.
"""

from __future__ import annotations

from enum import StrEnum

# Lone surrogates can reach us through JSON strings; keep them round-trippable.
CODEC_ERRORS = "surrogatepass"


class Encoding(StrEnum):
    """Units a column is counted in (the LSP ``PositionEncodingKind`` values)."""

    UTF8 = "utf-8"
    UTF16 = "utf-16"
    UTF32 = "utf-32"  # code points


def encode(text: str) -> bytes:
    return text.encode("utf-8", CODEC_ERRORS)


def decode(data: bytes) -> str:
    return data.decode("utf-8", CODEC_ERRORS)


def _units(ch: str, encoding: Encoding) -> int:
    cp = ord(ch)
    if encoding is Encoding.UTF16:
        return 2 if cp > 0xFFFF else 1
    if encoding is Encoding.UTF8:
        return len(encode(ch))
    return 1


def byte_col_to_units(line: bytes, byte_col: int, encoding: Encoding) -> int:
    """Columns in ``encoding`` units for a byte column on ``line``."""
    if encoding is Encoding.UTF8:
        return byte_col
    prefix = decode(line[:byte_col])
    if encoding is Encoding.UTF32:
        return len(prefix)
    return len(prefix) + sum(1 for ch in prefix if ord(ch) > 0xFFFF)


def units_to_byte_col(line: bytes, units: int, encoding: Encoding) -> int:
    """The byte column for ``units`` columns on ``line``; past the end clamps to the end.

    A column that falls inside a character (half a surrogate pair, the middle of a
    multi-byte sequence) moves to the start of that character.
    """
    if units <= 0:
        return 0
    if encoding is Encoding.UTF8:
        col = min(units, len(line))
        # Back off to a character boundary (continuation bytes are 0b10xxxxxx).
        while 0 < col < len(line) and (line[col] & 0xC0) == 0x80:
            col -= 1
        return col
    text = decode(line)
    seen = 0
    offset = 0
    for ch in text:
        width = _units(ch, encoding)
        if seen + width > units:
            break
        seen += width
        offset += len(encode(ch))
    return offset
