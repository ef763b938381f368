"""A tuning search's result: every trial's values and score, and the best config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..config import Config


@dataclass(frozen=True)
class Trial:
    number: int  # 1-based, in the order tried
    values: dict[str, Any]  # tuned key -> value
    objective: float  # lower is better; inf when the trial failed to train
    best_epoch: int
    seconds: float
    failure: str = ""  # why the trial could not be scored (then objective is inf)


@dataclass(frozen=True)
class TuneResult:
    objective: str
    trials: tuple[Trial, ...]
    best: Trial
    best_config: Config

    def table(self) -> pd.DataFrame:
        rows = [
            {
                "trial": t.number,
                **t.values,
                self.objective: t.objective,
                "best_epoch": t.best_epoch,
                "seconds": round(t.seconds, 2),
                "failure": t.failure,
            }
            for t in self.trials
        ]
        return pd.DataFrame(rows)
