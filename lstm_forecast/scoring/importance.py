"""Permutation importance: how much worse forecasts get when one block of the input
windows is shuffled across windows (numpy; the model is any function of windows).

Shuffling a block keeps its values' distribution and breaks its link to the rest of the
window and to the actuals; the increase in error is what the model owed that link. When
two inputs carry the same information (temperatures of two neighbouring hours, a feature
and its own lag), shuffling one leaves the other: the credit is shared, and each may look
unimportant though together they matter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class InputBlock:
    """Cells of a window shuffled together: ``rows`` x ``columns``."""

    name: str
    kind: str  # target, feature, future feature, calendar, static, series, lags
    rows: tuple[int, ...]
    columns: tuple[int, ...]


@dataclass(frozen=True)
class Importance:
    block: InputBlock
    increases: np.ndarray  # per repeat: the score with the block shuffled, minus without

    @property
    def mean(self) -> float:
        return float(np.mean(self.increases))

    @property
    def spread(self) -> float:
        """The standard deviation over repeats (0 for one repeat)."""
        return float(np.std(self.increases, ddof=1)) if len(self.increases) > 1 else 0.0


def permutation_importance(
    windows: np.ndarray,
    score: Callable[[np.ndarray], float],
    blocks: Sequence[InputBlock],
    *,
    repeats: int,
    seed: int,
) -> tuple[float, list[Importance]]:
    """``score`` (lower is better) of ``windows`` ``(n, rows, columns)`` as they are, and
    each block's increase of it when the block's cells are shuffled across windows (the
    same permutation for every cell of the block, ``repeats`` times), most important
    first."""
    if len(windows) < 2:
        raise ValueError("permutation importance needs two windows or more")
    base = score(windows)
    rng = np.random.default_rng(seed)
    everyone = np.arange(len(windows))
    results = []
    for block in blocks:
        rows, columns = np.array(block.rows), np.array(block.columns)
        cells = np.ix_(everyone, rows, columns)
        increases = []
        for _ in range(repeats):
            order = rng.permutation(len(windows))
            shuffled = windows.copy()
            shuffled[cells] = windows[np.ix_(order, rows, columns)]
            increases.append(score(shuffled) - base)
        results.append(Importance(block, np.asarray(increases)))
    results.sort(key=lambda r: -r.mean)
    return base, results


@dataclass(frozen=True)
class Explanation:
    base_mase: float  # the model's MASE on the windows, nothing shuffled
    n_windows: int
    n_series: int
    repeats: int
    seed: int
    importances: tuple[Importance, ...]  # most important first

    def table(self) -> pd.DataFrame:
        """One row per input: its name, kind, the mean increase of MASE when shuffled,
        its standard deviation over repeats, and the increase relative to the MASE."""
        return pd.DataFrame(
            {
                "input": [i.block.name for i in self.importances],
                "kind": [i.block.kind for i in self.importances],
                "mase_increase": [i.mean for i in self.importances],
                "spread": [i.spread for i in self.importances],
                "relative": [i.mean / self.base_mase for i in self.importances],
            }
        )

    def to_csv(self) -> str:
        return self.table().to_csv(index=False, float_format="%.6g")
