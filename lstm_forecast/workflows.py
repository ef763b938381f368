"""Validate, train, evaluate and predict as plain functions: the CLI calls these, and so
can users from Python. They return results; they never print.

TensorFlow is imported inside the functions that need it, so ``validate`` and importing
this module stay light.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import logging
import platform
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from . import __version__
from .bundle import (
    MODEL_FILE,
    check_target,
    file_in_the_way,
    is_bundle,
    load_keras_model,
    read_json,
    read_one_bundle,
    staged_bundle,
    verify,
    write_json,
)
from .config import Config, validate_config
from .data import Dataset, Series, load_dataset
from .distribute import cluster_role
from .encoding import forecaster_of
from .errors import BundleError, ConfigError, DataError
from .evaluation import Evaluation, Forecaster, evaluate_at, test_origins
from .onnx_network import ONNX_FILE, load_onnx_network
from .prepare import Prepared, check_positive, part_windows, prepare, training_windows
from .preprocessing import Preprocessing
from .safe_yaml import parse_yaml
from .scaling import Scaler
from .timeindex import format_times, future_index

_log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import keras

    from .model import OnnxExport
    from .train import Trained
    from .windows import WindowSet


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
    run_dir: Path | None  # None: a worker of a multi-worker run, which writes nothing
    evaluation: Evaluation
    history: dict[str, list[float]]  # of the first ensemble member
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
    steps: tuple[pd.DatetimeIndex, ...]  # per series: its future timestamps
    value_columns: tuple[str, ...]  # the forecast columns of ``frame``
    dataset: Dataset  # the history it continues

    @property
    def futures(self) -> tuple[pd.DataFrame, ...]:
        """Per series: the forecast columns indexed by future timestamp (for plots)."""
        rows = 0
        futures = []
        for steps in self.steps:
            part = self.frame.iloc[rows : rows + len(steps)][list(self.value_columns)]
            futures.append(part.set_axis(steps))
            rows += len(steps)
        return tuple(futures)


def validate(config: Config) -> Summary:
    """Check the config against its data and output directory; no TensorFlow."""
    dataset = load_dataset(config.data)
    prepared = prepare(config, dataset)
    check_target(config.run_dir)
    _check_log_folder(config)
    cluster_role(config.training.distribute)  # TF_CONFIG must be usable
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
    config: Config,
    *,
    verbose: int = 0,
    callbacks: Sequence[keras.callbacks.Callback] = (),
    progress: Callable[[str], None] | None = None,
) -> TrainReport:
    """Train on the config's data, score the test part and write the bundle atomically.

    Under ``training.distribute: multi_worker`` every worker trains, and only the chief
    writes (the bundle, and TensorBoard logs); the others return a report with no
    ``run_dir``.

    Args:
        verbose: Keras' verbosity for ``fit`` (0 silent, 1 bar, 2 a line per epoch).
        callbacks: extra Keras callbacks.
        progress: receives one line per epoch (for logs; TensorFlow is imported only
            once the bundle's lock is held, so a locked run stops at once).
    """
    _check_log_folder(config)
    role = cluster_role(config.training.distribute)
    if not role.is_chief:
        logless = config.training.model_copy(update={"tensorboard": None})
        fitted = _fit(
            config.model_copy(update={"training": logless}),
            verbose=verbose,
            callbacks=callbacks,
            progress=progress,
        )
        return fitted.report(None)
    # The bundle's lock is taken first, so a second run on it stops at once.
    with staged_bundle(config.run_dir) as staging:
        fitted = _fit(config, verbose=verbose, callbacks=callbacks, progress=progress)
        from . import model as model_lib

        model_lib.save_model(fitted.trained.model, staging / MODEL_FILE)
        onnx = model_lib.export_onnx(
            fitted.trained.model,
            staging / ONNX_FILE,
            _onnx_check_inputs(fitted.prepared, fitted.validation, fitted.train_windows),
        )
        _write_bundle_body(
            staging, config, fitted.prepared, fitted.evaluation, fitted.trained, onnx
        )
    return fitted.report(config.run_dir)


@dataclass(frozen=True)
class _Fitted:
    prepared: Prepared
    train_windows: WindowSet
    validation: WindowSet
    trained: Trained
    evaluation: Evaluation

    def report(self, run_dir: Path | None) -> TrainReport:
        first = self.trained.members[0]
        return TrainReport(
            run_dir=run_dir,
            evaluation=self.evaluation,
            history=first.history,
            best_epoch=first.best_epoch,
            seconds=self.trained.seconds,
        )


def _fit(
    config: Config,
    *,
    verbose: int,
    callbacks: Sequence[keras.callbacks.Callback],
    progress: Callable[[str], None] | None,
) -> _Fitted:
    """Prepare the data, train, and score the test part (nothing written)."""
    prepared = prepare(config, load_dataset(config.data))
    train_windows = training_windows(config, prepared)
    from . import model as model_lib
    from . import train as train_lib

    validation = part_windows(config, prepared, "validation")
    trained = train_lib.train_forecaster(
        config,
        prepared,
        train_windows,
        validation,
        verbose=verbose,
        callbacks=callbacks,
        progress=progress,
    )
    evaluation = evaluate_at(
        prepared,
        model_lib.as_forecaster(trained.model, trained.coding),
        test_origins(prepared, config.window.lookback, config.window.horizon),
        quantile_levels=config.model.quantiles,
    )
    return _Fitted(prepared, train_windows, validation, trained, evaluation)


def _check_log_folder(config: Config) -> None:
    """Refuse a ``training.tensorboard`` folder that cannot be one, before training."""
    folder = config.training.tensorboard
    if folder is None:
        return
    if importlib.util.find_spec("tensorboard") is None:  # TensorFlow needs it to log
        raise ConfigError(
            "training.tensorboard needs the tensorboard package: "
            "pip install 'lstm-forecast[tensorboard]'",
            where=folder,
        )
    blocked = file_in_the_way(folder)
    if blocked:
        raise ConfigError(f"training.tensorboard {blocked}", where=folder)


def load_bundle(run_dir: Path) -> Bundle:
    """Verify a run directory and load its network (checks first, then ONNX Runtime when
    the bundle has ``model.onnx``, else Keras), all from one bundle even when a retrain
    swaps a new one in meanwhile."""
    return read_one_bundle(run_dir, _load_bundle_once)


def _load_bundle_once(run_dir: Path) -> Bundle:
    files = verify(run_dir)
    config = _bundle_config(run_dir)
    try:
        preprocessing = Preprocessing.from_json(read_json(run_dir, "preprocessing.json"))
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"malformed ({exc!r})", where=run_dir / "preprocessing.json") from None
    metadata = read_json(run_dir, "metadata.json")
    if ONNX_FILE in files:  # no TensorFlow or Keras on this path
        network = load_onnx_network(run_dir / ONNX_FILE)
    else:
        from . import model as model_lib

        keras_model = load_keras_model(run_dir, str(metadata.get("keras", "")))
        network = model_lib.keras_network(keras_model)
    return Bundle(
        run_dir=run_dir,
        config=config,
        preprocessing=preprocessing,
        metadata=metadata,
        forecaster=forecaster_of(network, preprocessing.coding),
    )


def evaluate(run_dir: Path, data_path: Path | None = None) -> Evaluation:
    """Score a bundle on the test part of its training CSV, or of ``data_path``."""
    bundle = load_bundle(run_dir)
    dataset = _load_for_bundle(bundle, data_path)
    pre = bundle.preprocessing
    prepared = prepare(
        bundle.config,
        dataset,
        scalers=_scalers_for(bundle, dataset),
        coding=pre.coding,
        static_scaler=pre.static_scaler,
        series_index=[pre.series_index(s.id) for s in dataset.series],
    )
    return evaluate_at(
        prepared,
        bundle.forecaster,
        test_origins(prepared, pre.lookback, pre.horizon),
        quantile_levels=bundle.config.model.quantiles,
    )


def predict(run_dir: Path, data_path: Path | None = None) -> Forecast:
    """Forecast ``horizon`` steps after the last row of each series, in one batched call."""
    bundle = load_bundle(run_dir)
    pre = bundle.preprocessing
    dataset = _load_for_bundle(bundle, data_path)
    scalers = _scalers_for(bundle, dataset)
    if any(s.n_logged for s in scalers):
        check_positive(dataset)
    inputs = []
    for series, scaler in zip(dataset.series, scalers, strict=True):
        if len(series) < pre.lookback or not series.complete[-pre.lookback :].all():
            name = "the series" if series.id is None else f"series '{series.id}'"
            raise DataError(
                f"{name} needs {pre.lookback} complete rows at its end to forecast "
                f"from (window.lookback); it has {len(series)} rows",
                where=dataset.path,
            )
        inputs.append(pre.rows(series, scaler)[-pre.lookback :])
        _warn_if_far_outside(series, pre, dataset.path)
    predicted = bundle.forecaster(np.stack(inputs))
    data_cfg = bundle.config.data
    values = np.concatenate(
        [
            scaler.inverse_targets(np.moveaxis(scaled, 2, 1))
            for scaler, scaled in zip(scalers, predicted, strict=True)
        ]
    )
    # Series usually end together: their future timestamps are made and formatted once.
    made: dict[pd.Timestamp, tuple[pd.DatetimeIndex, list[str]]] = {}
    steps, times = [], []
    for series in dataset.series:
        last = series.index[-1]
        if last not in made:
            future = future_index(last, dataset.freq, pre.horizon)
            made[last] = (future, format_times(future, dataset.time_format))
        steps.append(made[last][0])
        times.extend(made[last][1])
    columns = _forecast_columns(values, dataset.targets, bundle.config.model.quantiles)
    frame = pd.DataFrame({data_cfg.time_column: times, **columns})
    if data_cfg.id_column is not None:
        ids = np.repeat(np.array([s.id for s in dataset.series], dtype=object), pre.horizon)
        frame.insert(0, data_cfg.id_column, ids)
    return Forecast(frame=frame, steps=tuple(steps), value_columns=tuple(columns), dataset=dataset)


def _warn_if_far_outside(series: Series, pre: Preprocessing, path: Path) -> None:
    """Warn when an input window holds values more than one training range beyond the
    training range: the network never saw such levels, so its forecast is a guess."""
    low, high = pre.train_ranges[series.id]
    span = np.maximum(high - low, np.abs(high) * 1e-3 + 1e-12)
    window = series.values[-pre.lookback :]
    for column, name in enumerate(pre.columns):
        values = window[:, column]
        far = (values < low[column] - span[column]) | (values > high[column] + span[column])
        if far.any():
            where = "" if series.id is None else f"series '{series.id}': "
            worst = values[far][np.argmax(np.abs(values[far] - (low[column] + high[column]) / 2))]
            _log.warning(
                f"{path}: {where}column {name!r} has {worst:g} in the last "
                f"{pre.lookback} rows, far outside the training range "
                f"[{low[column]:g}, {high[column]:g}]; the forecast may be unreliable"
            )


def _forecast_columns(
    values: np.ndarray, targets: Sequence[str], levels: Sequence[float]
) -> dict[str, np.ndarray]:
    """``values``: ``(rows, n_quantiles, n_targets)`` in original units. Columns: each
    target (its median when there are quantiles), then ``<target>_p<level>`` for the
    other quantiles."""
    point = levels.index(0.5) if levels else 0
    columns: dict[str, np.ndarray] = {}
    for t, target in enumerate(targets):
        columns[target] = values[:, point, t]
        for q, level in enumerate(levels):
            if level != 0.5:
                columns[f"{target}_p{100 * level:g}"] = values[:, q, t]
    return columns


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
    left_out = [s.id for s in dataset.series if s.id in pre.skipped]
    if left_out:
        # Too short at training time: the model has no scaler for them (see metrics.json).
        _log.warning(
            f"{dataset.path}: {len(left_out)} series left out of training as too short "
            f"have no forecast: {_first_few(left_out)}"
        )
        kept = tuple(s for s in dataset.series if s.id not in pre.skipped)
        if not kept:
            raise DataError(
                "every series in the file was left out of training as too short",
                where=dataset.path,
            )
        dataset = dataclasses.replace(dataset, series=kept)
    if dataset.columns != pre.columns:
        raise BundleError(
            f"config.yaml and preprocessing.json disagree on columns "
            f"({list(dataset.columns)} vs {list(pre.columns)})",
            where=bundle.run_dir,
        )
    return dataset


def _scalers_for(bundle: Bundle, dataset: Dataset) -> list[Scaler]:
    scalers = bundle.preprocessing.scalers
    unknown = [s.id for s in dataset.series if s.id not in scalers]
    if unknown:
        # A global model's file may hold thousands of series: name a few of each side.
        which = (
            f"series {unknown[0]!r} was"
            if len(unknown) == 1
            else f"{len(unknown)} series ({_first_few(unknown)}) were"
        )
        raise DataError(
            f"{which} not in the model's training data, which held {len(scalers)}: "
            f"{_first_few(list(scalers))}; a model forecasts only the series it was trained on",
            where=dataset.path,
        )
    return [scalers[s.id] for s in dataset.series]


def _first_few(names: Sequence[str | None], most: int = 10) -> str:
    shown = ", ".join(map(repr, names[:most]))
    return shown + (f" and {len(names) - most} more" if len(names) > most else "")


def _onnx_check_inputs(
    prepared: Prepared, validation: WindowSet, train_windows: WindowSet, most: int = 512
) -> np.ndarray:
    """Encoded network inputs to compare ONNX Runtime with Keras on: the validation
    windows (else the training windows), at most ``most`` of them."""
    windows = validation if len(validation) else train_windows
    inputs, _ = windows.gather_at(windows.starts[-most:])
    return prepared.coding.encode(inputs)[0]


def _write_bundle_body(
    staging: Path,
    config: Config,
    prepared: Prepared,
    evaluation: Evaluation,
    trained: Trained,
    onnx: OnnxExport,
) -> None:
    import keras
    import tensorflow as tf

    from . import plots

    dataset = prepared.dataset
    first = trained.members[0]
    (staging / "config.yaml").write_text(config.to_yaml(), encoding="utf-8")
    write_json(
        staging / "preprocessing.json", Preprocessing.of(config, prepared, trained.coding).to_json()
    )
    skipped = {"skipped_series": prepared.skipped} if prepared.skipped else {}
    write_json(staging / "metrics.json", {**evaluation.to_json(), **skipped})
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
            "ensemble": len(trained.members),
            "epochs_run": [m.epochs_run for m in trained.members],
            "best_epoch": [m.best_epoch for m in trained.members],
            "train_seconds": round(trained.seconds, 3),
            "onnx": onnx.to_json(),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        },
    )
    history = pd.concat(
        [
            pd.DataFrame({"member": k, "epoch": np.arange(1, m.epochs_run + 1), **m.history})
            for k, m in enumerate(trained.members)
        ]
    )
    history.to_csv(staging / "history.csv", index=False)
    plots.save(plots.loss_figure(first.history, first.best_epoch), staging / "plots" / "loss.png")
    if evaluation.n_origins:
        plots.save(plots.test_forecast_figure(evaluation), staging / "plots" / "test_forecast.png")
