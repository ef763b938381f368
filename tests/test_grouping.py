"""``group_rows``: each series' rows, in the order the file first names it, by id as text
without the spaces around it; a file written series after series takes a path without a
code per row or a sort, and gives the same groups."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lstm_forecast.config import DataConfig
from lstm_forecast.data.grouping import group_rows
from lstm_forecast.data.read import PARQUET_ROWS
from lstm_forecast.errors import DataError

CONFIG = DataConfig(path=Path("x.parquet"), time_column="t", target="y", id_column="id")
SPELLINGS = ["a", " a", "a ", "b", "b ", "c", "long name"]


def reference(ids: list[str]) -> list[tuple[str, list[int]]]:
    """Groups computed the plain way: stripped names, first named first."""
    names = [i.strip() for i in ids]
    order = list(dict.fromkeys(names))
    return [(n, [k for k, m in enumerate(names) if m == n]) for n in order]


@settings(max_examples=200, deadline=None)
@given(
    runs=st.lists(st.tuples(st.sampled_from(SPELLINGS), st.integers(1, 5)), min_size=1),
    categorical=st.booleans(),
)
def test_the_groups_are_the_rows_of_each_stripped_id_first_named_first(
    runs: list[tuple[str, int]], categorical: bool
) -> None:
    """Runs of ids, grouped or not (a name may come back, or be spelled with spaces in
    another run), read as text or as categories (Parquet)."""
    ids = [name for name, count in runs for _ in range(count)]
    column = pd.Series(ids, dtype="category" if categorical else object)
    groups = group_rows(pd.DataFrame({"id": column}), CONFIG, CONFIG.path, PARQUET_ROWS)
    assert [(name, list(rows)) for name, rows in groups] == reference(ids)


@pytest.mark.parametrize("categorical", [False, True])
@pytest.mark.parametrize("missing", [None, "  "])
def test_a_missing_or_empty_id_is_refused_at_its_row_in_a_grouped_file(
    categorical: bool, missing: str | None
) -> None:
    ids = ["a", "a", missing, "b"]
    column = pd.Series(ids, dtype="category" if categorical else object)
    with pytest.raises(DataError, match="empty id at row 3"):
        group_rows(pd.DataFrame({"id": column}), CONFIG, CONFIG.path, PARQUET_ROWS)
