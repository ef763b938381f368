"""The network: stacked LSTM or GRU layers and a direct multi-step head, built from
``ModelConfig`` with sizes taken from the data, and ensembles of them (Keras)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from ..config import Config, ModelConfig
from ..data.share import pooled_sum
from ..errors import ConfigError
from ..features import Prepared
from ..features.baselines import describe as describe_baseline
from ..features.baselines import is_seasonal
from ..features.coding import WindowCoding
from .heads import correction, fixed_matrix, quantile_head, quantile_sums

__all__ = [
    "average",
    "build_model",
    "describe",
    "fold_for",
    "network_for",
    "quantile_sums",
    "skip_for",
    "skip_penalty_for",
    "uncompiled",
]

# model.linear_skip auto: with fewer training windows than this per input of the linear
# map, its weights are held by an L2 penalty of SKIP_PENALTY x inputs / windows.
WINDOWS_PER_INPUT = 10
SKIP_PENALTY = 1.0
# model.fold auto, for a long window without a seasonal fold: the recurrent layers read it
# in patches of rows, taking this many steps or up to twice as many (not hundreds: a long
# recurrence trains slowly and carries little from its first steps to its last).
RECURRENT_STEPS = 24


def build_model(
    cfg: ModelConfig,
    *,
    lookback: int,
    n_inputs: int,
    horizon: int,
    n_targets: int,
    n_series: int = 1,
    fold: int = 1,
    linear_skip: bool = False,
    skip_penalty: float = 0.0,
    future_columns: Sequence[int] = (),
) -> keras.Model:
    """Stacked recurrent layers, optional hidden Dense layers, then one Dense layer that
    predicts every step at once (direct multi-step), plus, with ``linear_skip``, a linear
    map from the window's targets to the horizon under an L2 penalty of ``skip_penalty``.
    Both start at zero: the untrained network forecasts exactly the coding's baseline.

    With ``future_columns``, each window also holds the horizon's rows (``lookback +
    horizon`` in all): their known-ahead columns, flattened, join the recurrent layers'
    summary before the head, so each step's forecast can use each step's known value.

    Input: float32 ``(batch, window rows, n_inputs)``, encoded by ``WindowCoding``. Output:
    ``(batch, horizon, n_targets)``, or ``(batch, horizon, n_targets, n_quantiles)`` with
    ``cfg.quantiles``. ``fold`` > 1: the recurrent layers read ``fold`` rows per step.
    They keep tanh/sigmoid and, unless the config asks for recurrent dropout, stay
    eligible for the fused cuDNN kernel on a GPU.
    """
    ahead = horizon if future_columns else 0
    inputs = keras.Input(shape=(lookback + ahead, n_inputs), name="history")
    x = inputs
    if future_columns:
        x = keras.layers.Cropping1D((0, ahead), name="lookback_rows")(inputs)
        known = _known_ahead(inputs, lookback, n_inputs, future_columns)
    if cfg.series_embedding:
        x, embedded = _split_series_index(x, lookback, n_inputs, n_series, cfg)
    n_columns = n_inputs - (1 if cfg.series_embedding else 0)
    skip = _linear(x, n_columns, horizon, n_targets, skip_penalty) if linear_skip else None
    if fold > 1:
        x = _folded(x, lookback, n_columns, fold)
    x = _recurrent_stack(x, cfg)
    if cfg.series_embedding:
        x = keras.layers.Concatenate(name="with_series")([x, embedded])
    if future_columns:
        x = keras.layers.Concatenate(name="with_known_ahead")([x, known])
    for depth, units in enumerate(cfg.dense, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{depth}")(x)
    if len(cfg.quantiles) > 1:
        outputs = quantile_head(x, cfg.quantiles, horizon=horizon, n_targets=n_targets, skip=skip)
    else:
        shape = (horizon, n_targets, 1) if cfg.quantiles else (horizon, n_targets)
        point = correction(horizon * n_targets)(x)
        if skip is not None:
            point = keras.layers.Add(name="with_linear")([point, skip])
        outputs = keras.layers.Reshape(shape, name="steps")(point)
    return keras.Model(inputs, outputs, name="lstm_forecast")


def _recurrent_stack(x: keras.KerasTensor, cfg: ModelConfig) -> keras.KerasTensor:
    """The stacked LSTM or GRU layers, the last one returning its final state only."""
    cell = keras.layers.LSTM if cfg.cell == "lstm" else keras.layers.GRU
    for depth, units in enumerate(cfg.layers, start=1):
        layer = cell(
            units,
            return_sequences=depth < len(cfg.layers),
            recurrent_dropout=cfg.recurrent_dropout,
            name=f"{cfg.cell}_{depth}",
        )
        if cfg.bidirectional:
            layer = keras.layers.Bidirectional(layer, name=f"bidirectional_{depth}")
        x = layer(x)
        if cfg.dropout > 0:
            x = keras.layers.Dropout(cfg.dropout, name=f"dropout_{depth}")(x)
    return x


def network_for(config: Config, prepared: Prepared, n_windows: int) -> keras.Model:
    """A fresh, untrained network of ``config.model`` shaped for ``prepared``'s windows
    (``n_windows``: how many it will be fit to, every worker's; they weigh the linear
    skip's penalty), with a series embedding row for every worker's series."""
    return build_model(
        config.model,
        lookback=config.window.lookback,
        n_inputs=prepared.coding.network_inputs(prepared.stacked.shape[1]),
        horizon=config.window.horizon,
        n_targets=prepared.dataset.n_targets,
        n_series=int(pooled_sum(prepared.workers, len(prepared.dataset.series))),
        fold=fold_for(config.model, prepared.coding),
        linear_skip=skip_for(config.model),
        skip_penalty=skip_penalty_for(config.model, prepared.coding, n_windows),
        future_columns=prepared.coding.future_columns,
    )


def describe(model: ModelConfig, coding: WindowCoding, n_windows: int, logged: bool) -> str:
    """What the data decided (``auto`` settings), in one line for the log."""
    level = {"mean": "their mean", "last": "their last value", "none": "zero"}
    parts = [f"windows measured from {level[coding.window_norm]} (preprocessing.window_norm)"]
    if logged:
        parts.insert(
            0,
            "targets in logs (preprocessing.log; a value <= 0 in later data is read as half "
            "the smallest training value)",
        )
    if coding.baseline != "none":
        baseline = describe_baseline(coding.baseline, coding.baseline_alpha)
        parts.insert(0, f"the network corrects {baseline}")
    fold = fold_for(model, coding)
    if fold > 1:
        parts.append(f"the recurrent layers reading {fold} rows per step (model.fold)")
    if skip_for(model):
        penalty = skip_penalty_for(model, coding, n_windows)
        weighted = f", L2 penalty {penalty:.3g}" if penalty else ""
        parts.append(f"plus a linear map from the window (model.linear_skip{weighted})")
    return ", ".join(parts)


def skip_for(model: ModelConfig) -> bool:
    """Whether the network adds a linear map from the window to the horizon (``auto``: yes)."""
    return model.linear_skip is not False


def skip_penalty_for(model: ModelConfig, coding: WindowCoding, n_windows: int) -> float:
    """The L2 penalty on the linear map's weights: with ``auto``, ``SKIP_PENALTY`` x its
    inputs (``lookback x n_targets``) / the ``n_windows`` training windows when they
    number fewer than ``WINDOWS_PER_INPUT`` per input, else none (as with ``true``).

    Each forecast step is its own regression on the window's values; below the usual rule
    of ten observations per predictor a free map overfits (measured on airline's shipped
    config: benchmarks/README.md), and a ridge penalty that fades as the windows grow keeps
    it near zero (the baseline) until the data say otherwise.
    """
    if model.linear_skip != "auto":
        return 0.0
    inputs = coding.lookback * coding.n_targets
    if n_windows >= WINDOWS_PER_INPUT * inputs:
        return 0.0
    return SKIP_PENALTY * inputs / max(n_windows, 1)


def fold_for(model: ModelConfig, coding: WindowCoding) -> int:
    """How many rows the recurrent layers read per step: the season's when ``model.fold``
    asks, else 1. ``auto``: the season's when the baseline is a seasonal one and the
    lookback holds two seasons or more; else, for a lookback of two ``RECURRENT_STEPS``
    or more, ``lookback // RECURRENT_STEPS`` rows (a patch), so the recurrent layers take
    ``RECURRENT_STEPS`` to twice that many steps."""
    season, lookback = coding.season_length, coding.lookback
    fits = season > 1 and lookback >= 2 * season
    if model.fold == "auto":
        if fits and is_seasonal(coding.baseline):
            return season
        return max(lookback // RECURRENT_STEPS, 1)
    if model.fold and not fits:
        raise ConfigError(
            f"model.fold: true needs a season of 2 rows or more and a lookback of two "
            f"seasons or more; the season is {season} rows and window.lookback {lookback}: "
            "set evaluation.season_length, raise the lookback, or set model.fold: auto"
        )
    return season if model.fold else 1


def _folded(x: keras.KerasTensor, lookback: int, n_columns: int, season: int) -> keras.KerasTensor:
    """The window as one row per ``season`` rows, a season or a patch (oldest rows beyond
    whole ones dropped): the recurrent layers step over days, not hours, each step seeing
    a whole season's values."""
    extra = lookback % season
    if extra:
        x = keras.layers.Cropping1D((extra, 0), name="whole_seasons")(x)
    return keras.layers.Reshape((lookback // season, season * n_columns), name="seasons")(x)


def _linear(
    x: keras.KerasTensor, n_columns: int, horizon: int, n_targets: int, penalty: float
) -> keras.KerasTensor:
    """The linear map from the window's target columns to every step of the horizon."""
    targets = fixed_matrix(x, np.eye(n_columns)[:, :n_targets], name="target_columns")
    flat = keras.layers.Flatten(name="flat_targets")(targets)
    return correction(horizon * n_targets, name="linear", penalty=penalty)(flat)


def _known_ahead(
    inputs: keras.KerasTensor, lookback: int, n_inputs: int, future_columns: Sequence[int]
) -> keras.KerasTensor:
    """The horizon's rows of the window, only their known-ahead columns, flattened."""
    rows = keras.layers.Cropping1D((lookback, 0), name="horizon_rows")(inputs)
    known = fixed_matrix(rows, np.eye(n_inputs)[:, list(future_columns)], name="known_columns")
    return keras.layers.Flatten(name="flat_known")(known)


def _split_series_index(
    inputs: keras.KerasTensor, lookback: int, n_inputs: int, n_series: int, cfg: ModelConfig
) -> tuple[keras.KerasTensor, keras.KerasTensor]:
    """The input rows without their last column, and the learned vector of the series
    whose index that column holds (``features.prepared.model_rows`` puts it there).

    Both selections are fixed, untrained Dense layers, so the network holds only Keras'
    own layers and stays one input (the pipeline, ONNX and ensembles need nothing else).
    """
    history = fixed_matrix(inputs, np.eye(n_inputs)[:, :-1], name="columns")
    last_row = keras.layers.Cropping1D((lookback - 1, 0), name="last_row")(inputs)
    picked = fixed_matrix(last_row, np.eye(n_inputs)[:, -1:], name="series_index")
    index = keras.layers.Reshape((1,), name="index")(picked)
    vectors = keras.layers.Embedding(n_series, cfg.series_embedding, name="series_embedding")
    embedded = keras.layers.Flatten(name="series_vector")(vectors(index))
    return history, embedded


def average(models: Sequence[keras.Model]) -> keras.Model:
    """One model whose output is the mean of ``models``' outputs (an ensemble)."""
    if len(models) == 1:
        return models[0]
    inputs = keras.Input(shape=models[0].input_shape[1:], name="history")
    # Uncompiled copies: a nested compiled model would carry its loss into the archive.
    members = [uncompiled(m, name=f"member_{k}") for k, m in enumerate(models)]
    outputs = keras.layers.Average(name="mean")([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name="lstm_forecast_ensemble")


def uncompiled(model: keras.Model, name: str | None = None) -> keras.Model:
    config = model.get_config()
    if name is not None:
        config["name"] = name
    clean = keras.Model.from_config(config)
    clean.set_weights(model.get_weights())
    return clean
