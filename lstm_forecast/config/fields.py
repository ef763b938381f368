"""Checks of single config values that need more than a type: a pandas frequency and a
strftime format (the schema's validators call them)."""

from __future__ import annotations

import datetime

# Frequencies pandas 2 read as period ends and pandas 3 refuses: (the period, its alias).
_PERIOD_ALIASES = {
    "M": ("month", "M"),
    "Q": ("quarter", "Q"),
    "Y": ("year", "Y"),
    "A": ("year", "Y"),
}
_YEAR_DIRECTIVES = ("%Y", "%y", "%G")


def check_freq(freq: str) -> str:
    """``freq`` when pandas reads it as a frequency."""
    from pandas.tseries.frequencies import to_offset  # pandas only when a freq is given

    try:
        to_offset(freq)
    except ValueError:
        hint = ""
        if freq.upper() in _PERIOD_ALIASES:
            word, alias = _PERIOD_ALIASES[freq.upper()]
            hint = f"; pandas now writes {word} starts as {alias}S and {word} ends as {alias}E"
        raise ValueError(
            f"'{freq}' is not a pandas frequency (e.g. D, h, MS, W-SUN, 30min){hint}"
        ) from None
    return freq


def check_time_format(time_format: str) -> str:
    """``time_format`` when it is a strftime format that names the year and reads back
    what it writes."""
    if "%q" in time_format or "%Q" in time_format:
        raise ValueError(
            f"{time_format!r}: quarters (1970Q1, 1970-Q1) are read without a time_format; "
            "remove the key"
        )
    if not any(d in time_format for d in _YEAR_DIRECTIVES):
        raise ValueError(
            f"{time_format!r} names no year (%Y, or %y for two digits): every time needs one"
        )
    sample = datetime.datetime(2001, 2, 3, 4, 5, 6)
    try:
        datetime.datetime.strptime(sample.strftime(time_format), time_format)
    except ValueError as error:
        raise ValueError(
            f"{time_format!r} is not a strftime format that reads back what it writes "
            f"({error}); e.g. '%d.%m.%Y' or '%m/%d/%Y %H:%M'"
        ) from None
    return time_format
