"""Each series' last rows of a file read a batch of rows at a time (``read_tails``): the
rows kept so far, and where each new batch's go, without re-sorting those kept."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa


@dataclass(frozen=True)
class Tails:
    """Each series' last rows of a file: ``frame`` holds them series after series (in the
    order the file first names each), its id column as categories; ``rows`` is each
    one's position in the file (from 0)."""

    frame: pd.DataFrame
    rows: np.ndarray


class TailRows:
    """The last ``keep`` rows of each series seen so far (numbered in the order first seen,
    by id as text without the spaces around it, as the loader groups them), in the
    file's order within one. A batch is cut to its own last ``keep`` rows of each series
    (``_cut``, which checks the order of all) and those are appended to the rows stored;
    each series' ring of ``keep`` slots says which stored rows are its last, so the rows
    kept are never sorted again. Rows no ring names are dropped when they outnumber the
    ones kept (``_compact``): memory holds about twice the tails, not the file."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.names: dict[str, int] = {}
        self.stored: list[pa.Table] = []  # the rows kept, but their id, batch after batch
        self.positions: list[np.ndarray] = []  # each stored row's position in the file
        self.n_stored = 0
        # Per series: its ring (the i-th row it kept is stored at slots[s, i % keep]), how
        # many rows it kept, and the time of its last row read.
        self.slots = np.empty((0, keep), dtype=np.int64)
        self.kept = np.empty(0, dtype=np.int64)
        self.last = np.empty(0, dtype=np.int64)
        self.seen = 0  # series seen so far
        self.read = 0  # rows read so far

    def add(self, batch: pa.RecordBatch, id_column: str | None, time_column: str) -> bool:
        """Take in the next ``batch`` of rows (of one series without ``id_column``); False
        where the file must be read whole."""
        import pyarrow as pa

        times = batch.column(time_column)
        if id_column is None:
            numbers: np.ndarray | None = np.zeros(len(batch), dtype=np.int64)
        else:
            ids = batch.column(id_column)
            numbers = None if ids.null_count else self._codes(ids)
        if numbers is None or times.null_count:
            return False
        chosen = self._cut(numbers, times.cast(pa.int64()).to_numpy())
        if chosen is None:
            return False
        others = batch if id_column is None else batch.drop_columns([id_column])
        self._store(pa.Table.from_batches([others]).take(pa.array(chosen)), numbers[chosen])
        self.positions.append(self.read + chosen)
        self.read += len(batch)
        if self.n_stored > 2 * int(np.minimum(self.kept, self.keep).sum()) + len(batch):
            self._compact()
        return True

    def _store(self, rows: pa.Table, codes: np.ndarray) -> None:
        """Append ``rows`` (of series ``codes``: sorted, each series' in the file's order)
        and point each series' ring at them."""
        firsts = np.flatnonzero(np.r_[True, codes[1:] != codes[:-1]]) if len(codes) else codes
        rank = np.arange(len(codes)) - np.repeat(firsts, np.diff(np.r_[firsts, len(codes)]))
        self.slots[codes, (self.kept[codes] + rank) % self.keep] = self.n_stored + np.arange(
            len(codes)
        )
        self.kept += np.bincount(codes, minlength=len(self.kept))
        self.stored.append(rows)
        self.n_stored += len(rows)

    def _compact(self) -> None:
        """Keep only the stored rows some ring names, renumbered in the order stored."""
        import pyarrow as pa

        named = self.slots >= 0
        live = np.sort(self.slots[named])
        table = pa.concat_tables(self.stored).take(pa.array(live))
        self.stored, self.positions = [table], [np.concatenate(self.positions)[live]]
        self.slots[named] = np.searchsorted(live, self.slots[named])
        self.n_stored = len(live)

    def _cut(self, codes: np.ndarray, stamps: np.ndarray) -> np.ndarray | None:
        """Of a batch's rows (their series and times): the positions of each series' last
        ``keep``, sorted by series and in the file's order within one; None where a
        series' rows are not in time order, here or after the rows read before
        (``last``)."""
        if not len(codes):
            return np.empty(0, dtype=np.int64)
        order = np.argsort(codes, kind="stable")
        codes, stamps = codes[order], stamps[order]
        same = codes[1:] == codes[:-1]
        if (same & (stamps[1:] <= stamps[:-1])).any():
            return None
        firsts = np.flatnonzero(np.r_[True, ~same])
        self._grow(int(codes[-1]) + 1)
        if (stamps[firsts] <= self.last[codes[firsts]]).any():
            return None
        lasts = np.r_[firsts[1:], len(codes)] - 1
        self.last[codes[lasts]] = stamps[lasts]
        ends = np.cumsum(np.bincount(codes))[codes]  # where each row's series ends
        return order[ends - np.arange(len(codes)) <= self.keep]

    def _grow(self, seen: int) -> None:
        """Make room for ``seen`` series (those first seen have no row before), doubling
        the room so a file of many series is not copied with each batch."""
        self.seen = max(self.seen, seen)
        if len(self.last) >= seen:
            return
        room = max(seen, 2 * len(self.last))
        slots = np.full((room, self.keep), -1, dtype=np.int64)
        slots[: len(self.slots)] = self.slots
        kept = np.zeros(room, dtype=np.int64)
        kept[: len(self.kept)] = self.kept
        last = np.full(room, np.iinfo(np.int64).min, dtype=np.int64)
        last[: len(self.last)] = self.last
        self.slots, self.kept, self.last = slots, kept, last

    def _codes(self, ids: pa.Array) -> np.ndarray | None:
        """Each id's series number, numbering the ids first seen here in order (None: an
        empty id)."""
        import pyarrow as pa

        encoded = ids.dictionary_encode() if not pa.types.is_dictionary(ids.type) else ids
        indices = encoded.indices.to_numpy(zero_copy_only=False)
        words = encoded.dictionary.to_pylist()
        numbers = np.empty(len(words), dtype=np.int64)
        for index in pd.unique(indices):  # in the order the rows name them
            name = str(words[index]).strip()
            if not name:
                return None
            numbers[index] = self.names.setdefault(name, len(self.names))
        return numbers[indices]

    def result(self, id_column: str | None) -> Tails | None:
        """The rows kept, series after series, each in the file's order."""
        import pyarrow as pa

        if not self.stored:
            return None
        counts = np.minimum(self.kept[: self.seen], self.keep)
        codes = np.repeat(np.arange(self.seen), counts)
        starts = np.cumsum(counts) - counts
        nth = np.arange(len(codes)) - np.repeat(starts, counts)  # of the series' rows kept
        first_kept = self.kept[codes] - counts[codes]
        at = self.slots[codes, (first_kept + nth) % self.keep]
        frame = pa.concat_tables(self.stored).take(pa.array(at)).to_pandas()
        rows = np.concatenate(self.positions)[at]
        if id_column is not None:
            names = pd.Index(list(self.names))
            frame.insert(0, id_column, pd.Categorical.from_codes(codes, categories=names))
        return Tails(frame, rows)
