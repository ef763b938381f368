"""Hints for messages about a file's text: another separator, numbers written with
thousands separators or a decimal comma (no pandas)."""

from __future__ import annotations

import re
from collections.abc import Sequence

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
