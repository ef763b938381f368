"""Search the ``tuning:`` space of a config with KerasTuner and keep the best config.

Each trial is the config with some keys changed, trained exactly as ``train`` (or scored
exactly as ``backtest``) trains it, so ``train best.yaml`` reproduces the best trial's
figure: training is deterministic for a seed. The config's own values are the first
trial, so the best is never worse than the config by the objective.
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .backtest import backtest
from .config import Config, validate_config
from .data import Dataset, load_dataset
from .errors import ConfigError, UserError
from .prepare import part_windows, prepare, training_windows

if TYPE_CHECKING:
    import keras


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


def check_tunable(config: Config) -> dict[str, list[Any]]:
    """The search space, after checking there is one and that KerasTuner is installed
    (before anything is written or trained)."""
    if importlib.util.find_spec("keras_tuner") is None:
        raise ConfigError("tune needs the keras-tuner package: pip install 'lstm-forecast[tune]'")
    space = search_space(config)
    if not space:
        raise ConfigError("the tuning section tunes nothing: every list in it is empty")
    return space


def tune(
    config: Config,
    *,
    max_trials: int | None = None,
    progress: Callable[[str], None] | None = None,
    verbose: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> TuneResult:
    """Try up to ``max_trials`` (default ``tuning.max_trials``; at most every combination
    once) configs from the space, the config's own values first, and return every trial
    and the best config."""
    space = check_tunable(config)
    import keras_tuner

    trials_wanted = max_trials if max_trials is not None else config.tuning.max_trials
    if trials_wanted < 1:
        raise ConfigError(f"--trials must be at least 1 (got {trials_wanted})")
    trials_wanted = min(trials_wanted, math.prod(len(values) for values in space.values()))
    objective = config.tuning.objective
    dataset = load_dataset(config.data)
    hyperparameters = keras_tuner.HyperParameters()
    for key, values in space.items():
        hyperparameters.Choice(key, values, default=values[0], ordered=False)
    trials: list[Trial] = []

    def score(values: dict[str, Any]) -> Trial:
        trial_config = with_values(config, values)
        started = time.perf_counter()
        try:
            if objective == "backtest_mase":
                result = backtest(
                    trial_config,
                    config.tuning.folds,
                    verbose=verbose,
                    callbacks=callbacks,
                    dataset=dataset,  # read once for every trial
                )
                table = result.table()
                rows = table[(table["fold"] == "mean") & (table["model"] == "model")]
                figure, best_epoch = float(rows["mase"].mean()), 0
            else:
                figure, best_epoch = _validation_loss(trial_config, dataset, verbose, callbacks)
        except UserError as exc:  # diverged, or a lookback the data is too short for
            figure, best_epoch, failure = math.inf, 0, exc.message
        else:
            failure = ""
        trial = Trial(
            len(trials) + 1,
            values,
            figure,
            best_epoch,
            time.perf_counter() - started,
            failure,
        )
        trials.append(trial)
        if progress is not None:
            shown = ", ".join(f"{k} {v}" for k, v in values.items())
            outcome = f"failed: {failure}" if failure else f"{objective} {figure:.6g}"
            progress(f"trial {trial.number}/{trials_wanted}: {shown}: {outcome}")
        return trial

    class Search(keras_tuner.engine.base_tuner.BaseTuner):
        def run_trial(self, trial: Any, *args: Any, **kwargs: Any) -> dict[str, float]:
            figure = score(dict(trial.hyperparameters.values)).objective
            # KerasTuner refuses non-finite objectives; a failed trial ranks last.
            return {objective: figure if math.isfinite(figure) else 1e300}

        def save_model(self, *args: Any, **kwargs: Any) -> None:
            pass  # the best config is what is kept, not a model

    class DefaultsFirst(keras_tuner.oracles.RandomSearchOracle):
        """Random search whose first trial is the config's own values."""

        def populate_space(self, trial_id: str) -> dict[str, Any]:
            if not self.trials:
                values = {hp.name: hp.default for hp in self.hyperparameters.space}
                return {"status": "RUNNING", "values": values}
            return super().populate_space(trial_id)

    oracle = DefaultsFirst(
        objective=keras_tuner.Objective(objective, "min"),
        max_trials=trials_wanted,
        hyperparameters=hyperparameters,
        seed=config.training.seed,
    )
    with (
        tempfile.TemporaryDirectory(prefix="lstm-forecast-tune-") as folder,
        contextlib.redirect_stdout(io.StringIO()),  # KerasTuner reports on stdout
    ):
        search = Search(oracle=oracle, directory=folder, project_name="search", overwrite=True)
        search.search(verbose=0)
    best = min(trials, key=lambda t: (t.objective, t.number))
    if best.failure:
        raise ConfigError(f"every trial failed; the first: {trials[0].failure}")
    return TuneResult(objective, tuple(trials), best, with_values(config, best.values))


def _validation_loss(
    config: Config, dataset: Dataset, verbose: int, callbacks: Sequence[keras.callbacks.Callback]
) -> tuple[float, int]:
    """The best validation loss of training ``config`` as ``train`` does, and its epoch."""
    from .train import train_forecaster

    prepared = prepare(config, dataset)
    validation = part_windows(config, prepared, "validation")
    if not len(validation):
        raise ConfigError(
            "tuning.objective val_loss needs validation windows; set split.validation, "
            "or use tuning.objective: backtest_mase"
        )
    trained = train_forecaster(
        config,
        prepared,
        training_windows(config, prepared),
        validation,
        verbose=verbose,
        callbacks=callbacks,
    )
    first = trained.members[0]
    losses = np.asarray(first.history["val_loss"], dtype=np.float64)
    return float(losses[first.best_epoch - 1]), first.best_epoch


def write_results(result: TuneResult, folder: Path) -> tuple[Path, Path]:
    """Write ``best.yaml`` and ``trials.csv`` into ``folder`` (atomically, each)."""
    from .atomic import make_folder, write_text_atomically

    make_folder(folder)
    best, trials = folder / "best.yaml", folder / "trials.csv"
    write_text_atomically(best, _best_yaml(result))
    write_text_atomically(trials, result.table().to_csv(index=False, float_format="%.8g"))
    return best, trials


def _best_yaml(result: TuneResult) -> str:
    best = result.best
    values = ", ".join(f"{k} {v}" for k, v in best.values.items())
    return (
        f"# lstm-forecast tune: the best of {len(result.trials)} trials by "
        f"{result.objective}: trial {best.number} ({values}), {result.objective} "
        f"{best.objective:.6g}\n" + result.best_config.to_yaml()
    )


def format_tune(result: TuneResult, best_path: Path) -> str:
    """Every trial, then the best one and how to reproduce it."""
    table = result.table()
    if not table["failure"].any():
        table = table.drop(columns="failure")
    lines = [table.to_string(index=False, float_format=lambda v: f"{v:.6g}")]
    best = result.best
    lines.append(
        f"best: trial {best.number}, {result.objective} {best.objective:.6g}; "
        f"lstm-forecast {'backtest' if result.objective == 'backtest_mase' else 'train'} "
        f"{best_path} reproduces it"
    )
    return "\n".join(lines)
