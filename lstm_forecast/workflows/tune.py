"""``tune``: search the ``tuning:`` space of a config and keep the best config.

Each trial is the config with some keys changed, trained exactly as ``train`` (or scored
exactly as ``backtest``) trains it, so ``train best.yaml`` reproduces the best trial's
figure: training is deterministic for a seed. The config's own values are the first
trial, so the best is never worse than the config by the objective. The search itself is
KerasTuner's (``nn.search``).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ..bundle.atomic import make_folder, write_text_atomically
from ..config import Config, validate_config
from ..data import Dataset
from ..data.chunked import loaded_within
from ..errors import ConfigError, UserError
from ..nn.hooks import SILENT, TrainingHooks
from ..scoring.trials import Trial, TuneResult
from .backtest import backtest
from .forecaster import train_forecaster
from .outputs import output_folder
from .preflight import preflight

BEST_CONFIG = "best.yaml"
TRIALS_CSV = "trials.csv"


# Tuned keys, where each lives in the config, and how to read the config's own value.
_KEYS: dict[str, Callable[[Config], Any]] = {
    "layers": lambda c: len(c.model.layers),
    "units": lambda c: c.model.layers[0],
    "dropout": lambda c: c.model.dropout,
    "learning_rate": lambda c: c.training.learning_rate,
    "lookback": lambda c: c.window.lookback,
}


def search_space(config: Config) -> dict[str, list[Any]]:
    """Per tuned key, its values, the config's own first (keys with an empty list are
    not tuned)."""
    space = {}
    for key, own in _KEYS.items():
        choices = list(getattr(config.tuning, key))
        if choices:
            first = own(config)
            space[key] = [first, *(v for v in choices if v != first)]
    return space


def with_values(config: Config, values: dict[str, Any]) -> Config:
    """``config`` with the tuned keys set to ``values`` (validated like a config file)."""
    raw = config.model_dump(mode="json")
    if "layers" in values or "units" in values:
        n_layers = values.get("layers", len(config.model.layers))
        units = values.get("units", config.model.layers[0])
        raw["model"]["layers"] = [units] * n_layers
    for key, section in (
        ("dropout", "model"),
        ("learning_rate", "training"),
        ("lookback", "window"),
    ):
        if key in values:
            raw[section][key] = values[key]
    return validate_config(raw, where="tuning")


def check_tunable(config: Config, max_trials: int | None = None) -> dict[str, list[Any]]:
    """The search space, after ``preflight`` and a check that there is one (before anything
    is written or trained)."""
    preflight("tune", config, count=max_trials)
    space = search_space(config)
    if not space:
        raise ConfigError("the tuning section tunes nothing: every list in it is empty")
    return space


def tune(
    config: Config, *, max_trials: int | None = None, hooks: TrainingHooks = SILENT
) -> TuneResult:
    """Try up to ``max_trials`` (default ``tuning.max_trials``; at most every combination
    once) configs from the space, the config's own values first, and return every trial
    and the best config."""
    space = check_tunable(config, max_trials)
    from ..nn.search import random_search

    trials_wanted = max_trials if max_trials is not None else config.tuning.max_trials
    trials_wanted = min(trials_wanted, math.prod(len(values) for values in space.values()))
    with loaded_within(config.data, config.training.memory_budget_mb) as dataset:
        trials = _Trials(config, dataset, trials_wanted, hooks)
        random_search(
            space,
            trials.score,
            objective=config.tuning.objective,
            max_trials=trials_wanted,
            seed=config.training.seed,
        )
    best = min(trials.done, key=lambda t: (t.objective, t.number))
    if best.failure:
        raise ConfigError(f"every trial failed; the first: {trials.done[0].failure}")
    return TuneResult(
        config.tuning.objective, tuple(trials.done), best, with_values(config, best.values)
    )


def tune_to_folder(
    config: Config,
    *,
    max_trials: int | None = None,
    folder: Path | None = None,
    hooks: TrainingHooks = SILENT,
) -> tuple[TuneResult, Path, Path]:
    """``tune``, then ``best.yaml`` and ``trials.csv`` written into ``folder`` (default
    ``<output.dir>-tune``), which is checked and locked before any trial."""
    check_tunable(config, max_trials)
    with output_folder(config, folder, "tune", BEST_CONFIG) as chosen:
        result = tune(config, max_trials=max_trials, hooks=hooks)
        best, table = write_results(result, chosen)
    return result, best, table


class _Trials:
    """Scores trials as the search proposes them, and keeps every one."""

    def __init__(self, config: Config, dataset: Dataset, wanted: int, hooks: TrainingHooks) -> None:
        self.config, self.dataset, self.wanted, self.hooks = config, dataset, wanted, hooks
        self.done: list[Trial] = []

    def score(self, values: dict[str, Any]) -> float:
        """Train (or backtest) the config with ``values``; its objective, inf if it failed."""
        objective = self.config.tuning.objective
        started = time.perf_counter()
        try:
            figure, best_epoch = self._objective(with_values(self.config, values))
        except UserError as exc:  # diverged, or a lookback the data is too short for
            figure, best_epoch, failure = math.inf, 0, exc.message
        else:
            failure = ""
        trial = Trial(
            len(self.done) + 1,
            values,
            figure,
            best_epoch,
            time.perf_counter() - started,
            failure,
        )
        self.done.append(trial)
        if self.hooks.progress is not None:
            shown = ", ".join(f"{k} {v}" for k, v in values.items())
            outcome = f"failed: {failure}" if failure else f"{objective} {figure:.6g}"
            self.hooks.progress(f"trial {trial.number}/{self.wanted}: {shown}: {outcome}")
        return trial.objective

    def _objective(self, config: Config) -> tuple[float, int]:
        """The trial's objective and best epoch (0 for a backtest)."""
        # Trials report through the hooks' Keras side only: one line per trial, not per epoch.
        quiet = TrainingHooks(verbose=self.hooks.verbose, callbacks=self.hooks.callbacks)
        if config.tuning.objective == "backtest_mase":
            result = backtest(
                config,
                config.tuning.folds,
                hooks=quiet,
                dataset=self.dataset,  # read once for every trial
            )
            table = result.table()
            rows = table[(table["fold"] == "mean") & (table["model"] == "model")]
            return float(rows["mase"].mean()), 0
        trained = train_forecaster(
            config,
            self.dataset,
            hooks=quiet,
            without_validation=(
                "tuning.objective val_loss needs validation windows; set split.validation, "
                "or use tuning.objective: backtest_mase"
            ),
        )
        first = trained.network.members[0]
        losses = np.asarray(first.history["val_loss"], dtype=np.float64)
        return float(losses[first.best_epoch - 1]), first.best_epoch


def write_results(result: TuneResult, folder: Path) -> tuple[Path, Path]:
    """Write ``best.yaml`` and ``trials.csv`` into ``folder`` (atomically, each)."""
    make_folder(folder)
    best, trials = folder / BEST_CONFIG, folder / TRIALS_CSV
    write_text_atomically(best, _best_yaml(result))
    write_text_atomically(trials, result.table().to_csv(index=False, float_format="%.8g"))
    return best, trials


def _best_yaml(result: TuneResult) -> str:
    """The best config, its bundle beside the tuned config's (``-tuned`` added to
    ``output.dir``), so ``train best.yaml`` never overwrites the bundle tuned from."""
    best = result.best
    values = ", ".join(f"{k} {v}" for k, v in best.values.items())
    config = result.best_config
    tuned_dir = config.run_dir.with_name(f"{config.run_dir.name}-tuned")
    config = config.model_copy(
        update={"output": config.output.model_copy(update={"dir": tuned_dir})}
    )
    return (
        f"# lstm-forecast tune: the best of {len(result.trials)} trials by "
        f"{result.objective}: trial {best.number} ({values}), {result.objective} "
        f"{best.objective:.6g}\n"
        f"# output.dir: the tuned config's with -tuned, so training this one keeps that bundle\n"
        + config.to_yaml()
    )
