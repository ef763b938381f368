"""Build the network from ``ModelConfig`` with sizes taken from the data (Keras)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import keras
import numpy as np

from .config import ModelConfig
from .encoding import WindowCoding


def build_model(
    cfg: ModelConfig, *, lookback: int, n_inputs: int, horizon: int, n_targets: int
) -> keras.Model:
    """Stacked recurrent layers, optional hidden Dense layers, then one Dense layer that
    predicts every step at once (direct multi-step).

    Input: float32 ``(batch, lookback, n_inputs)``, encoded by ``WindowCoding``. Output:
    ``(batch, horizon, n_targets)``, or ``(batch, horizon, n_targets, n_quantiles)`` with
    ``cfg.quantiles``. The recurrent layers keep tanh/sigmoid and, unless the config asks
    for recurrent dropout, stay eligible for the fused cuDNN kernel on a GPU.
    """
    cell = keras.layers.LSTM if cfg.cell == "lstm" else keras.layers.GRU
    inputs = keras.Input(shape=(lookback, n_inputs), name="history")
    x = inputs
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
    for depth, units in enumerate(cfg.dense, start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"dense_{depth}")(x)
    shape = (horizon, n_targets, len(cfg.quantiles)) if cfg.quantiles else (horizon, n_targets)
    x = keras.layers.Dense(int(np.prod(shape)), name="forecast")(x)
    outputs = keras.layers.Reshape(shape, name="steps")(x)
    return keras.Model(inputs, outputs, name="lstm_forecast")


def average(models: Sequence[keras.Model]) -> keras.Model:
    """One model whose output is the mean of ``models``' outputs (an ensemble)."""
    if len(models) == 1:
        return models[0]
    inputs = keras.Input(shape=models[0].input_shape[1:], name="history")
    # Uncompiled copies: a nested compiled model would carry its loss into the archive.
    members = [_uncompiled(m, name=f"member_{k}") for k, m in enumerate(models)]
    outputs = keras.layers.Average(name="mean")([member(inputs) for member in members])
    return keras.Model(inputs, outputs, name="lstm_forecast_ensemble")


def as_forecaster(
    model: keras.Model, coding: WindowCoding, batch_size: int = 4096
) -> Callable[[np.ndarray], np.ndarray]:
    """A plain function from scaled windows ``(n, lookback, n_inputs)`` to scaled forecasts
    ``(n, horizon, n_targets, n_quantiles)`` (``n_quantiles`` is 1 for a point forecast),
    run in inference mode (dropout off)."""

    def forecast(windows: np.ndarray) -> np.ndarray:
        chunks = []
        for start in range(0, len(windows), batch_size):
            inputs, offset = coding.encode(windows[start : start + batch_size])
            outputs = np.asarray(model(inputs, training=False), dtype=np.float64)
            forecasts = coding.decode(outputs, offset)
            chunks.append(forecasts if forecasts.ndim == 4 else forecasts[..., None])
        return np.concatenate(chunks)

    return forecast


def save_model(model: keras.Model, path: Path) -> None:
    """Save the architecture and weights only: no optimizer or compile state, so the
    archive holds nothing a loader must deserialize beyond our own layers."""
    _uncompiled(model).save(path)


def _uncompiled(model: keras.Model, name: str | None = None) -> keras.Model:
    config = model.get_config()
    if name is not None:
        config["name"] = name
    clean = keras.Model.from_config(config)
    clean.set_weights(model.get_weights())
    return clean
