"""Random search over a tuning space with KerasTuner, the config's own values tried first.

KerasTuner has no public hook for either (a first trial we choose, a trial that trains
through our own pipeline), so the two classes here override its internals; ``compat``
refuses a KerasTuner release other than the one they were written for, before this module
is imported.
"""

from __future__ import annotations

import contextlib
import io
import math
import tempfile
from collections.abc import Callable
from typing import Any

import keras_tuner

__all__ = ["random_search"]

# KerasTuner refuses non-finite objectives; a failed trial ranks last with this.
_FAILED = 1e300


class _ScoredSearch(keras_tuner.engine.base_tuner.BaseTuner):
    """A tuner whose trial is one call of ``score`` with the trial's values."""

    def __init__(self, score: Callable[[dict[str, Any]], float], objective: str, **kwargs: Any):
        self._score = score
        self._objective = objective
        super().__init__(**kwargs)

    def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
        figure = self._score(dict(trial.hyperparameters.values))
        return {self._objective: figure if math.isfinite(figure) else _FAILED}

    def save_model(self, *args: Any, **kwargs: Any) -> None:
        pass  # the best config is what is kept, not a model


class _DefaultsFirst(keras_tuner.oracles.RandomSearchOracle):
    """Random search whose first trial is the config's own values."""

    def populate_space(self, trial_id: str) -> dict[str, Any]:
        if not self.trials:
            values = {hp.name: hp.default for hp in self.hyperparameters.space}
            return {"status": "RUNNING", "values": values}
        return super().populate_space(trial_id)


def random_search(
    space: dict[str, list[Any]],
    score: Callable[[dict[str, Any]], float],
    *,
    objective: str,
    max_trials: int,
    seed: int,
) -> None:
    """Call ``score`` (lower is better) on up to ``max_trials`` points of ``space`` (each
    key's first value is the config's own), the first values first, then at random."""
    hyperparameters = keras_tuner.HyperParameters()
    for key, values in space.items():
        hyperparameters.Choice(key, values, default=values[0], ordered=False)
    oracle = _DefaultsFirst(
        objective=keras_tuner.Objective(objective, "min"),
        max_trials=max_trials,
        hyperparameters=hyperparameters,
        seed=seed,
    )
    with (
        tempfile.TemporaryDirectory(prefix="lstm-forecast-tune-") as folder,
        contextlib.redirect_stdout(io.StringIO()),  # KerasTuner reports on stdout
    ):
        search = _ScoredSearch(
            score,
            objective,
            oracle=oracle,
            directory=folder,
            project_name="search",
            overwrite=True,
        )
        search.search(verbose=0)
