"""Hints for messages about a file's text: another separator, numbers written with
thousands separators or a decimal comma, where it stops being UTF-8 (no pandas)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Sequence
from pathlib import Path

_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[-+]?\d+(\.\d{3})*,\d+$")


def separator_hint(header: Sequence[str], missing: Sequence[str] = ()) -> str:
    """A hint when the header reads as one column that another separator would split
    into the missing ones (a spreadsheet's export with ';' or tabs, say)."""
    for separator, name in ((";", "semicolons"), ("\t", "tabs"), ("|", "'|'")):
        names = {part.strip() for cell in header for part in cell.split(separator)}
        if any(separator in cell for cell in header) and names.issuperset(missing):
            return (
                f" (the header seems separated by {name}: lstm-forecast reads "
                "comma-separated files; export the file as CSV with commas)"
            )
    return ""


def number_hint(value: object) -> str:
    """Why ``value`` is not read as a number, when its form says (``1,120.0``,
    ``3,5``), with the fix; else ""."""
    text = str(value).strip()
    if _THOUSANDS.match(text):
        return (
            " (it reads as a number with commas between thousands: write numbers without "
            f"them, as {text.replace(',', '')})"
        )
    if _DECIMAL_COMMA.match(text):
        plain = text.replace(".", "").replace(",", ".")
        return f" (it reads as a number with a decimal comma: write a decimal point, as {plain})"
    return ""


def not_utf8(path: Path) -> str:
    """Where a file stops being UTF-8 (line and byte), for the user who must re-save it."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    line, where = 1, ""
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 16):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                # exc.object is the chunk after the bytes of an unfinished character held
                # over from the last one: never a newline, so the count holds.
                line += exc.object.count(b"\n", 0, exc.start)
                where = f": byte 0x{exc.object[exc.start]:02x} at line {line}"
                break
            line += chunk.count(b"\n")
    return f"not UTF-8 text{where}; save the file as UTF-8 (a spreadsheet's 'CSV UTF-8')"
