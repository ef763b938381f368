"""Validate, train, evaluate and predict as plain functions: the CLI calls these, and so
can users from Python. They return results; they never print.

TensorFlow is imported inside the functions that need it, so ``validate`` and importing
this module stay light.
"""

from __future__ import annotations

import datetime as dt
import platform
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import __version__
from .bundle import (
    MODEL_FILE,
    check_target,
    is_bundle,
    load_keras_model,
    read_json,
    staged_bundle,
    verify,
    write_json,
)
from .config import Config, validate_config
from .data import Dataset, load_dataset
from .errors import BundleError, ConfigError, DataError
from .evaluation import Evaluation, Forecaster, evaluate_test
from .metrics import season_length_for
from .prepare import Prepared, Preprocessing, part_windows, prepare
from .safe_yaml import parse_yaml
from .timeindex import format_times, future_index

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class Summary:
    """What ``validate`` found: the data as the config reads it, without training."""

    dataset: Dataset
    prepared: Prepared
    windows: dict[str, int]  # part -> number of windows
    run_dir: Path
    replaces_bundle: bool


@dataclass(frozen=True)
class TrainReport:
    run_dir: Path
    evaluation: Evaluation
    history: dict[str, list[float]]
    best_epoch: int
    seconds: float


@dataclass(frozen=True)
class Bundle:
    """A verified run directory, ready to forecast."""

    run_dir: Path
    config: Config
    preprocessing: Preprocessing
    metadata: dict[str, Any]
    forecaster: Forecaster


@dataclass(frozen=True)
class Forecast:
    frame: pd.DataFrame  # [id_column,] time_column, targets...: the CSV users get
    futures: tuple[pd.DataFrame, ...]  # per series: targets indexed by future timestamps
    dataset: Dataset  # the history it continues


def validate(config: Config) -> Summary:
    """Check the config against its data and output directory; no TensorFlow."""
    dataset = load_dataset(config.data)
    prepared = prepare(config, dataset)
    check_target(config.run_dir)
    windows = {
        part: len(part_windows(config, prepared, part)) for part in ("train", "validation", "test")
    }
    return Summary(
        dataset=dataset,
        prepared=prepared,
        windows=windows,
        run_dir=config.run_dir,
        replaces_bundle=is_bundle(config.run_dir),
    )


def train(
    config: Config, *, verbose: int = 0, callbacks: Sequence[keras.callbacks.Callback] = ()
) -> TrainReport:
    """Train on the config's data, score the test part and write the bundle atomically.

    Args:
        verbose: Keras' verbosity for ``fit`` (0 silent, 1 bar, 2 a line per epoch).
        callbacks: extra Keras callbacks (progress reporting).
    """
    dataset = load_dataset(config.data)
    prepared = prepare(config, dataset)
    train_windows = part_windows(config, prepared, "train")
    if len(train_windows) == 0:
        raise DataError(
            "no training window without missing values (data.missing: drop drops every "
            "window that touches a missing row); try ffill or interpolate",
            where=dataset.path,
        )
    validation_windows = part_windows(config, prepared, "validation")
    with staged_bundle(config.run_dir) as staging:
        from . import model as model_lib
        from . import train as train_lib

        train_lib.seed_everything(config.training.seed)
        network = model_lib.build_model(
            config.model,
            lookback=config.window.lookback,
            n_inputs=len(dataset.columns),
            horizon=config.window.horizon,
            n_targets=dataset.n_targets,
        )
        result = train_lib.fit(
            network,
            config.training,
            train_windows,
            validation_windows,
            verbose=verbose,
            callbacks=callbacks,
        )
        evaluation = evaluate_test(
            prepared,
            model_lib.as_forecaster(result.model),
            lookback=config.window.lookback,
            horizon=config.window.horizon,
            season_length=_season_length(config, dataset.freq),
        )
        model_lib.save_model(result.model, staging / MODEL_FILE)
        _write_bundle_body(
            staging, config, prepared, evaluation, result.history, result.best_epoch, result.seconds
        )
    return TrainReport(
        run_dir=config.run_dir,
        evaluation=evaluation,
        history=result.history,
        best_epoch=result.best_epoch,
        seconds=result.seconds,
    )


def load_bundle(run_dir: Path) -> Bundle:
    """Verify a run directory and load its network (checks first, Keras last)."""
    verify(run_dir)
    config = _bundle_config(run_dir)
    try:
        preprocessing = Preprocessing.from_json(read_json(run_dir, "preprocessing.json"))
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"malformed ({exc!r})", where=run_dir / "preprocessing.json") from None
    metadata = read_json(run_dir, "metadata.json")
    from . import model as model_lib

    network = load_keras_model(run_dir, str(metadata.get("keras", "")))
    return Bundle(
        run_dir=run_dir,
        config=config,
        preprocessing=preprocessing,
        metadata=metadata,
        forecaster=model_lib.as_forecaster(network),
    )


def evaluate(run_dir: Path, data_path: Path | None = None) -> Evaluation:
    """Score a bundle on the test part of its training CSV, or of ``data_path``."""
    bundle = load_bundle(run_dir)
    dataset = _load_for_bundle(bundle, data_path)
    prepared = prepare(bundle.config, dataset, scalers=_scalers_for(bundle, dataset))
    return evaluate_test(
        prepared,
        bundle.forecaster,
        lookback=bundle.preprocessing.lookback,
        horizon=bundle.preprocessing.horizon,
        season_length=_season_length(bundle.config, dataset.freq),
    )


def predict(run_dir: Path, data_path: Path | None = None) -> Forecast:
    """Forecast ``horizon`` steps after the last row of each series, in one batched call."""
    bundle = load_bundle(run_dir)
    pre = bundle.preprocessing
    dataset = _load_for_bundle(bundle, data_path)
    scalers = _scalers_for(bundle, dataset)
    inputs = []
    for series, scaler in zip(dataset.series, scalers, strict=True):
        recent = series.values[-pre.lookback :]
        if len(recent) < pre.lookback or not np.isfinite(recent).all():
            name = "the series" if series.id is None else f"series '{series.id}'"
            raise DataError(
                f"{name} needs {pre.lookback} complete rows at its end to forecast "
                f"from (window.lookback); it has {len(series)} rows",
                where=dataset.path,
            )
        inputs.append(scaler.transform(recent))
    predicted = bundle.forecaster(np.stack(inputs).astype(np.float32))
    data_cfg = bundle.config.data
    futures, parts = [], []
    for series, scaler, scaled in zip(dataset.series, scalers, predicted, strict=True):
        steps = future_index(series.index[-1], dataset.freq, pre.horizon)
        future = pd.DataFrame(
            scaler.inverse_targets(scaled.astype(np.float64)),
            columns=list(dataset.targets),
            index=steps,
        )
        part = future.reset_index(drop=True)
        part.insert(0, data_cfg.time_column, format_times(steps, dataset.time_format))
        if data_cfg.id_column is not None:
            part.insert(0, data_cfg.id_column, series.id)
        futures.append(future)
        parts.append(part)
    return Forecast(
        frame=pd.concat(parts, ignore_index=True), futures=tuple(futures), dataset=dataset
    )


def _season_length(config: Config, freq: str) -> int:
    chosen = config.evaluation.season_length
    return season_length_for(freq) if chosen == "auto" else chosen


def _bundle_config(run_dir: Path) -> Config:
    path = run_dir / "config.yaml"
    try:
        return validate_config(parse_yaml(path.read_text(encoding="utf-8")), where=str(path))
    except ConfigError as exc:
        raise BundleError(f"invalid config ({exc.what})", where=path) from None
    except (OSError, ValueError) as exc:
        raise BundleError(f"unreadable config ({exc})", where=path) from None


def _load_for_bundle(bundle: Bundle, data_path: Path | None) -> Dataset:
    """Read data as the bundle was trained: same columns, missing policy and frequency."""
    pre = bundle.preprocessing
    data_cfg = bundle.config.data.model_copy(update={"freq": pre.freq})
    if data_path is None and not data_cfg.path.is_file():
        raise DataError(
            "the training CSV recorded in the bundle is not here; pass the data with --data",
            where=data_cfg.path,
        )
    dataset = load_dataset(data_cfg, data_path)
    if dataset.columns != pre.columns:
        raise BundleError(
            f"config.yaml and preprocessing.json disagree on columns "
            f"({list(dataset.columns)} vs {list(pre.columns)})",
            where=bundle.run_dir,
        )
    return dataset


def _scalers_for(bundle: Bundle, dataset: Dataset) -> tuple[Any, ...]:
    scalers = bundle.preprocessing.scalers
    unknown = [s.id for s in dataset.series if s.id not in scalers]
    if unknown:
        raise DataError(
            f"series {unknown[0]!r} was not in the model's training data "
            f"(known: {', '.join(map(str, scalers))})",
            where=dataset.path,
        )
    return tuple(scalers[s.id] for s in dataset.series)


def _write_bundle_body(
    staging: Path,
    config: Config,
    prepared: Prepared,
    evaluation: Evaluation,
    history: dict[str, list[float]],
    best_epoch: int,
    seconds: float,
) -> None:
    import keras
    import tensorflow as tf

    from . import plots

    dataset = prepared.dataset
    (staging / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
    write_json(staging / "preprocessing.json", Preprocessing.of(config, prepared).to_json())
    write_json(staging / "metrics.json", evaluation.to_json())
    write_json(
        staging / "metadata.json",
        {
            "schema": 1,
            "lstm_forecast": __version__,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "python": platform.python_version(),
            "data_path": str(dataset.path),
            "data_sha256": dataset.sha256,
            "seed": config.training.seed,
            "epochs_run": len(history["loss"]),
            "best_epoch": best_epoch,
            "train_seconds": round(seconds, 3),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    pd.DataFrame({"epoch": np.arange(1, len(history["loss"]) + 1), **history}).to_csv(
        staging / "history.csv", index=False
    )
    plots.save(plots.loss_figure(history, best_epoch), staging / "plots" / "loss.png")
    if evaluation.n_origins:
        plots.save(plots.test_forecast_figure(evaluation), staging / "plots" / "test_forecast.png")
