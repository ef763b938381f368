"""The model beside both naive forecasts, on validation and on test: what ``train`` and
``evaluate`` say last, and ``metrics.json`` records, so a model that a naive forecast
beats is never reported in silence (no TensorFlow)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import counted, first_few
from .evaluation import BOTH_NAIVES, Evaluation
from .score_table import ScoreTable


@dataclass(frozen=True)
class PartScores:
    """Mean MASE over series of the model and both naives on one part of the data."""

    part: str  # "validation" or "test"
    origins: int
    model: float
    naive: float
    seasonal_naive: float

    @classmethod
    def of(cls, part: str, evaluation: Evaluation | ScoreTable) -> PartScores | None:
        """The part's scores, or None when nothing was scored there."""
        table = evaluation.overall()
        if not evaluation.n_origins or not table:
            return None
        return cls(
            part=part,
            origins=evaluation.n_origins,
            model=table["model"]["mase"],
            naive=table["naive"]["mase"],
            seasonal_naive=table["seasonal_naive"]["mase"],
        )

    def mase(self, name: str) -> float:
        return {"model": self.model, "naive": self.naive, "seasonal_naive": self.seasonal_naive}[
            name
        ]

    @property
    def beaten_by(self) -> tuple[str, ...]:
        """The naives with a lower MASE than the model's (none when a MASE is undefined,
        as on a constant train part)."""
        if not math.isfinite(self.model):
            return ()
        return tuple(
            name
            for name in BOTH_NAIVES
            if math.isfinite(self.mase(name)) and self.mase(name) < self.model
        )

    @property
    def naives_better(self) -> str:
        """``naive forecasts better``, ``naive and seasonal naive forecast better``, or ""."""
        if not self.beaten_by:
            return ""
        names = " and ".join(name.replace("_", " ") for name in self.beaten_by)
        return f"{names} forecast{'s' if len(self.beaten_by) == 1 else ''} better"

    def to_json(self) -> dict[str, Any]:
        return {
            "origins": self.origins,
            **{name: _finite(self.mase(name)) for name in ("model", *BOTH_NAIVES)},
            "beaten_by": list(self.beaten_by),
        }


@dataclass(frozen=True)
class AgainstNaives:
    """What a bundle serves, and how it compares with naive and seasonal naive."""

    serves: str  # a features.served source: network, smoothing or mean
    corrects: str  # the baseline the network corrects, in words ("" for none)
    validation: PartScores | None
    test: PartScores | None
    why: str = ""  # why it serves what it serves (model.serve, validation figures)

    @classmethod
    def of(
        cls,
        validation: Evaluation | ScoreTable | None,
        test: Evaluation,
        corrects: str,
        serves: str = "network",
        why: str = "",
    ) -> AgainstNaives:
        return cls(
            serves=serves,
            corrects=corrects,
            validation=None if validation is None else PartScores.of("validation", validation),
            test=PartScores.of("test", test),
            why=why,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "serves": self.serves,
            "why": self.why,
            "corrects": self.corrects,
            "validation": None if self.validation is None else self.validation.to_json(),
            "test": None if self.test is None else self.test.to_json(),
        }


def beaten_warning(scores: PartScores) -> str | None:
    """A warning when a naive forecast beat the model on ``scores``' part, else None."""
    if not scores.beaten_by:
        return None
    best = min(scores.beaten_by, key=scores.mase)
    return (
        f"on the {scores.part} part {scores.naives_better} than the model (MASE "
        f"{scores.mase(best):.3f} against {scores.model:.3f}, "
        f"{counted(scores.origins, 'origin')}): a naive forecast would have served better "
        "here. Score more origins (backtest) before relying on the model; more history or a "
        "shorter window.lookback may help"
    )


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def all_zero_warning(evaluation: Evaluation) -> str | None:
    """A warning when a series' scored actuals are all 0 (an item that stopped selling): its
    sMAPE is 200 % for any forecast that is not exactly 0, and its share of the mean says
    nothing about accuracy."""
    zero = [s for s in evaluation.series if len(s.origins) and not np.any(s.truth)]
    if not zero:
        return None
    named = [str(s.id) for s in zero if s.id is not None]
    which = f"{len(zero)} series ({first_few(named)})" if named else "the series"
    return (
        f"every scored actual of {which} is 0: sMAPE is 200 % for any forecast not "
        "exactly 0 and MASE compares errors with the train part's; score a part with values "
        "(--test), or read MAE and RMSE"
    )
