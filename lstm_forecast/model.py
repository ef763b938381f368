"""Build the network from ``ModelConfig`` with sizes taken from the data (Keras)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np

from .config import ModelConfig


def build_model(
    cfg: ModelConfig, *, lookback: int, n_inputs: int, horizon: int, n_targets: int
) -> keras.Model:
    """Stacked recurrent layers, optional hidden Dense layers, then one Dense layer that
    predicts every step at once (direct multi-step).

    Input: float32 ``(batch, lookback, n_inputs)``, scaled. Output: ``(batch, horizon,
    n_targets)``, scaled. The recurrent layers keep tanh/sigmoid and, unless the config
    asks for recurrent dropout, stay eligible for the fused cuDNN kernel on a GPU.
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
    x = keras.layers.Dense(horizon * n_targets, name="forecast")(x)
    outputs = keras.layers.Reshape((horizon, n_targets), name="steps")(x)
    return keras.Model(inputs, outputs, name="lstm_forecast")


def as_forecaster(model: keras.Model, batch_size: int = 4096) -> Callable[[np.ndarray], np.ndarray]:
    """A plain function from scaled windows ``(n, lookback, n_inputs)`` to scaled forecasts
    ``(n, horizon, n_targets)``, run in inference mode (dropout off)."""

    def forecast(inputs: np.ndarray) -> np.ndarray:
        chunks = [
            np.asarray(model(inputs[i : i + batch_size], training=False))
            for i in range(0, len(inputs), batch_size)
        ]
        return np.concatenate(chunks) if chunks else np.empty((0, *model.output_shape[1:]))

    return forecast


def save_model(model: keras.Model, path: Path) -> None:
    """Save the architecture and weights only: no optimizer or compile state, so the
    archive holds nothing a loader must deserialize beyond our own layers."""
    clean = keras.Model.from_config(model.get_config())
    clean.set_weights(model.get_weights())
    clean.save(path)
