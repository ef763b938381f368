"""Which series one worker of several reads: a stable hash of each series' id names its
worker, the same on every machine and in every run (numpy, pandas; no TensorFlow)."""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar, cast

import numpy as np
import pandas as pd

from ..errors import DataError, UserError, counted

__all__ = [
    "ALONE",
    "Alone",
    "Attempt",
    "Share",
    "ShareRead",
    "Workers",
    "gathered_json",
    "id_names",
    "pooled",
    "pooled_median",
    "pooled_sum",
    "raised_together",
    "share_of",
]


def id_names(words: pd.Index | np.ndarray | list[object]) -> pd.Index:
    """Series ids as the load names them: as text, without the spaces around them."""
    return pd.Index(words).astype("string").str.strip()


def share_of(name: str, count: int) -> int:
    """The share, of ``count``, that the series ``name`` (as ``id_names`` makes it) is."""
    return zlib.crc32(name.encode("utf-8")) % count


@dataclass(frozen=True)
class Share:
    """Worker ``index`` of ``count``: the series whose id's CRC-32 (of its UTF-8 text) is
    ``index`` modulo ``count``. A hash, not an order: which worker reads a series does
    not depend on the file's row order, on the other series, or on the run."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not 0 <= self.index < self.count:
            raise ValueError(f"share {self.index} of {self.count}")

    def holds(self, name: str) -> bool:
        return share_of(name, self.count) == self.index


class ShareRead:
    """A read of one share, a batch of rows at a time: which rows it keeps, and a tally of
    the ids and rows it met."""

    def __init__(self, share: Share) -> None:
        self.share = share
        self.ids: dict[str, bool] = {}  # every id met: whether it is the share's
        self.rows_read = 0
        self.rows_kept = 0

    def words_held(self, words: pd.Index | np.ndarray) -> np.ndarray:
        """Whether each id in ``words`` is the share's, and a last True for code -1 (a
        missing id): a missing or empty id is every share's, so that each worker's load
        reports it."""
        names = id_names(words)
        mine = np.empty(len(names) + 1, dtype=bool)
        for at, name in enumerate(names):
            held = self.ids.get(name) if isinstance(name, str) and name else True
            if held is None:
                held = self.ids[name] = self.share.holds(name)
            mine[at] = held
        mine[-1] = True
        return mine

    def rows_held(self, codes: np.ndarray, mine: np.ndarray) -> np.ndarray:
        """Whether each row is the share's, from its code into the ids ``words_held``
        read (-1: missing)."""
        kept = mine[codes]
        self.rows_read += len(codes)
        self.rows_kept += int(kept.sum())
        return kept

    def describe(self) -> str:
        """What the read kept, in words for the log."""
        share = self.share
        return (
            f"worker {share.index} of {share.count} read its share of the series (by a hash "
            f"of the series id): {sum(self.ids.values()):,} of {len(self.ids):,} series, "
            f"{self.rows_kept:,} of {self.rows_read:,} rows"
        )


class Workers(Protocol):
    """The processes that train one model, each on its share of the series: what one
    computed from its share, gathered to every one, so that all decide alike."""

    @property
    def share(self) -> Share: ...

    def gather(self, array: np.ndarray) -> list[np.ndarray]:
        """``array`` of every worker, in worker order (this one's among them); every
        worker must call it, in the same order."""
        ...


@dataclass(frozen=True)
class Alone:
    """One process with every series: what it gathers is its own."""

    share: Share = Share(0, 1)

    def gather(self, array: np.ndarray) -> list[np.ndarray]:
        return [array]


ALONE = Alone()


def pooled(workers: Workers, array: np.ndarray) -> np.ndarray:
    """Every worker's ``array`` joined along its first axis, in worker order."""
    if workers.share.count == 1:
        return array
    return np.concatenate(workers.gather(array))


def pooled_sum(workers: Workers, values: np.ndarray | float) -> np.ndarray:
    """The sum over the workers of ``values`` (a number or an array of them)."""
    array = np.asarray(values, dtype=np.float64)
    return array if workers.share.count == 1 else np.sum(workers.gather(array), axis=0)


# pooled_median narrows the values around the median until at most this many are left,
# then gathers them.
MEDIAN_GATHERED = 1 << 16


def pooled_median(workers: Workers, values: np.ndarray, *, in_place: bool = False) -> float:
    """The median of every worker's ``values`` (float, NaN-free, any order), exactly,
    without gathering them: the range that holds it is halved, a count from each worker
    each time, until few enough values are left in it to gather. ``in_place``: ``values``
    may be reordered (no copy of them: a long file has tens of millions)."""
    if workers.share.count == 1:
        return float(np.median(values, overwrite_input=in_place))
    ordered = values if in_place else values.copy()
    ordered.sort()
    n = int(pooled_sum(workers, len(ordered)))
    if not n:
        return float("nan")
    k_low, k_high = (n - 1) // 2, n // 2  # the order statistics the median is the mean of
    ends = np.array([ordered[0], ordered[-1]] if len(ordered) else [np.inf, -np.inf])
    both = np.stack(workers.gather(ends))
    low, high = float(both[:, 0].min()), float(both[:, 1].max())

    def count(below: float, at_or_below: float) -> np.ndarray:
        mine = [np.searchsorted(ordered, below), np.searchsorted(ordered, at_or_below, "right")]
        return pooled_sum(workers, np.array(mine, dtype=np.float64))

    # Kept: fewer than k_low values below ``low``, more than k_high at or below ``high``.
    while True:
        before, through = count(low, high)
        middle = low + (high - low) / 2
        if through - before <= MEDIAN_GATHERED or middle in (low, high):
            break
        below = int(count(middle, middle)[0])
        if below > k_high:
            high = middle
        elif below <= k_low:
            low = middle
        else:  # between the two: the largest below and the smallest from it on
            split = np.searchsorted(ordered, middle)
            last = ordered[split - 1] if split else -np.inf
            first = ordered[split] if split < len(ordered) else np.inf
            sides = np.stack(workers.gather(np.array([last, first])))
            return float((sides[:, 0].max() + sides[:, 1].min()) / 2)
    inside = np.sort(
        pooled(
            workers,
            ordered[np.searchsorted(ordered, low) : np.searchsorted(ordered, high, "right")],
        )
    )
    offset = int(before)
    return float((inside[k_low - offset] + inside[k_high - offset]) / 2)


def gathered_json(workers: Workers, value: Any) -> list[Any]:
    """Every worker's ``value`` (numbers, text, lists and dicts of them), in worker order."""
    if workers.share.count == 1:
        return [value]
    data = np.frombuffer(json.dumps(value).encode("utf-8"), dtype=np.uint8)
    return [json.loads(part.tobytes().decode("utf-8")) for part in workers.gather(data)]


Result = TypeVar("Result")


@dataclass(frozen=True)
class Attempt(Generic[Result]):
    """What a step gave, or the ``UserError`` it raised, kept: a worker can take a step
    before it can tell the others it failed (``raised_together(workers, attempt.value)``
    once they have joined)."""

    result: Result | None = None
    error: UserError | None = None

    @classmethod
    def of(cls, step: Callable[[], Result]) -> Attempt[Result]:
        try:
            return cls(result=step())
        except UserError as exc:
            return cls(error=exc)

    def value(self) -> Result:
        """The step's result, or its error raised."""
        if self.error is not None:
            raise self.error
        return cast(Result, self.result)


def raised_together(workers: Workers, step: Callable[[], Result]) -> Result:
    """``step()`` on every worker; where it refuses one worker's share (a ``UserError``),
    every worker stops with an error: that one with its own, the others saying so, where
    they would otherwise wait for it at their next gather."""
    failed: UserError | None = None
    try:
        result = step()
    except UserError as exc:
        failed = exc
    if workers.share.count > 1:
        stopped = int(pooled_sum(workers, float(failed is not None)))
        if failed is None and stopped:
            raise DataError(
                f"{counted(stopped, 'other worker')} stopped on its share of the series "
                "(its own message says why)"
            )
    if failed is not None:
        raise failed
    return result
