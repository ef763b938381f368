"""detect's memory of reported events (``workflows/event_memory.py``): an event that
overlaps one reported before is not new and the memory keeps their joint span; the file
reads back what was written; a damaged one is refused with what to do."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from lstm_forecast.errors import UserError
from lstm_forecast.workflows.event_memory import (
    mark_new,
    memory_path,
    read_memory,
    write_memory,
)


def events(*spans: tuple[str, str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "series": [s for s, _, _ in spans],
            "start": [pd.Timestamp(a) for _, a, _ in spans],
            "end": [pd.Timestamp(b) for _, _, b in spans],
        }
    )


def test_an_event_seen_again_is_not_new_and_its_span_grows() -> None:
    first, memory = mark_new(events(("a", "2024-01-03", "2024-01-05")), {})
    assert first["new"].tolist() == [True]
    again, memory = mark_new(
        events(
            ("a", "2024-01-04", "2024-01-09"),  # the same excursion, longer now
            ("a", "2024-02-01", "2024-02-01"),  # a later one
            ("b", "2024-01-04", "2024-01-05"),  # the same days, another series
        ),
        memory,
    )
    assert again["new"].tolist() == [False, True, True]
    assert sorted(memory[("a", "")]) == [
        (pd.Timestamp("2024-01-03"), pd.Timestamp("2024-01-09")),
        (pd.Timestamp("2024-02-01"), pd.Timestamp("2024-02-01")),
    ]


def test_the_memory_reads_back_what_was_written(tmp_path: Path) -> None:
    found = events(("a", "2024-01-03", "2024-01-05"), ("", "2024-03-01", "2024-03-02"))
    _, memory = mark_new(found, {})
    path = memory_path(tmp_path / "report.csv")
    assert path.name == "report.csv.events.json"
    assert read_memory(path) == {}
    write_memory(path, memory)
    assert read_memory(path) == memory


@pytest.mark.parametrize(
    "text", ["{not json", '{"version": 7, "events": []}', '{"version": 1}', "[]"]
)
def test_a_damaged_memory_is_refused_naming_the_file_and_the_fix(tmp_path: Path, text: str) -> None:
    path = tmp_path / "report.csv.events.json"
    path.write_text(text)
    with pytest.raises(UserError) as raised:
        read_memory(path)
    assert str(path) in raised.value.message
    assert "delete it to start afresh" in raised.value.message
