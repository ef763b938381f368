"""What ``detect`` reported before, kept beside its ``--output`` so that a cron run over
overlapping data reports only new events: one JSON file, replaced atomically, so a run
killed while writing leaves the previous one readable.

An event is the one already reported when a reported event of the same series and target
overlaps it in time (an excursion seen again, perhaps longer now); the memory then keeps
their joint span."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd

from ..bundle.atomic import locked_target, write_text_atomically
from ..errors import UserError

MEMORY_SUFFIX = ".events.json"
VERSION = 1

# (series, target) -> the reported spans, each (start, end)
Spans = dict[tuple[str, str], list[tuple[pd.Timestamp, pd.Timestamp]]]


def memory_path(output: Path) -> Path:
    """The memory of the report written to ``output``: ``OUTPUT.events.json``."""
    return output.with_name(output.name + MEMORY_SUFFIX)


def read_memory(path: Path) -> Spans:
    """The spans reported before (none when ``path`` does not exist)."""
    if not path.exists():
        return {}
    fix = "delete it to start afresh (every event is then reported as new once)"
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("version") != VERSION:
            raise ValueError(f"version {document.get('version')!r}, not {VERSION}")
        spans: Spans = {}
        for event in document["events"]:
            key = (str(event["series"]), str(event["target"]))
            span = (pd.Timestamp(event["start"]), pd.Timestamp(event["end"]))
            spans.setdefault(key, []).append(span)
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UserError(
            f"cannot read detect's memory of reported events ({exc}); {fix}", where=path
        ) from None
    return spans


def mark_new(events: pd.DataFrame, reported: Spans) -> tuple[pd.DataFrame, Spans]:
    """``events`` (``group_events``, times as timestamps) with a ``new`` column, and the
    memory with them added: an event overlapping a reported span of its series and
    target is not new, and the span grows to cover both."""
    memory = {key: list(spans) for key, spans in reported.items()}
    new = []
    targets = events["target"] if "target" in events.columns else pd.Series("", events.index)
    for series, target, start, end in zip(
        events["series"], targets, events["start"], events["end"], strict=True
    ):
        first, last = pd.Timestamp(start), pd.Timestamp(end)
        spans = memory.setdefault((str(series), str(target)), [])
        overlapping = [s for s in spans if first <= s[1] and last >= s[0]]
        new.append(not overlapping)
        for span in overlapping:
            spans.remove(span)
        spans.append(
            (min([first, *(s[0] for s in overlapping)]), max([last, *(s[1] for s in overlapping)]))
        )
    return events.assign(new=pd.Series(new, index=events.index, dtype=bool)), memory


def write_memory(path: Path, memory: Spans) -> None:
    events: list[dict[str, Any]] = [
        {"series": series, "target": target, "start": start.isoformat(), "end": end.isoformat()}
        for (series, target), spans in sorted(memory.items())
        for start, end in sorted(spans)
    ]
    text = json.dumps({"version": VERSION, "events": events}, indent=1)
    write_text_atomically(path, text + "\n")


def recall(events: pd.DataFrame, output: Path | None) -> tuple[pd.DataFrame, Spans]:
    """``events`` with ``new`` marked against the memory beside ``output`` (every event new
    without one), and the memory to ``remember`` once the report is written: a run killed
    in between reports its events again rather than never."""
    return mark_new(events, {} if output is None else read_memory(memory_path(output)))


def remember(output: Path, memory: Spans) -> None:
    """Write the memory beside ``output`` (the caller holds ``output``'s lock; this one's
    cleans up what a killed write left)."""
    path = memory_path(output)
    with locked_target(path):
        write_memory(path, memory)
