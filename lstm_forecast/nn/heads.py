"""The network's output heads: the correction to the baseline, non-crossing quantiles,
and fixed (untrained) linear maps that select or sum columns (Keras)."""

from __future__ import annotations

from collections.abc import Sequence

import keras
import numpy as np

from ..features.coding import point_index

__all__ = ["correction", "fixed_matrix", "quantile_head", "quantile_sums"]


def correction(units: int, name: str = "forecast", penalty: float = 0.0) -> keras.layers.Dense:
    """The head that outputs the correction to the baseline forecast. It starts at zero,
    so the untrained network forecasts exactly its baseline and training moves away from
    it only as far as the windows pay for (and, with a ``penalty``, an L2 one allows)."""
    return keras.layers.Dense(
        units,
        kernel_initializer="zeros",
        bias_initializer="zeros",
        kernel_regularizer=keras.regularizers.L2(penalty) if penalty > 0 else None,
        name=name,
    )


def quantile_head(
    x: keras.KerasTensor,
    levels: Sequence[float],
    *,
    horizon: int,
    n_targets: int,
    skip: keras.KerasTensor | None = None,
) -> keras.KerasTensor:
    """Quantile outputs that cannot cross: the median, plus the gaps between neighbouring
    quantiles, each made positive by softplus and summed outwards from the median.

    Separate outputs per quantile crossed on small data (the lowest above the highest), and
    the interval calibration then stretched the crossed pair into absurd bounds. The sums
    are one fixed, untrained Dense layer, so the network holds only Keras' own layers
    (safe to load, exportable to ONNX).
    """
    n_levels = len(levels)
    median = correction(horizon * n_targets)(x)
    if skip is not None:
        median = keras.layers.Add(name="with_linear")([median, skip])
    median = keras.layers.Reshape((horizon, n_targets, 1), name="median")(median)
    gaps = keras.layers.Dense(
        horizon * n_targets * (n_levels - 1), activation="softplus", name="gaps"
    )(x)
    gaps = keras.layers.Reshape((horizon, n_targets, n_levels - 1), name="gap_steps")(gaps)
    stacked = keras.layers.Concatenate(name="median_and_gaps")([median, gaps])
    return fixed_matrix(stacked, quantile_sums(levels), name="steps")


def fixed_matrix(x: keras.KerasTensor, matrix: np.ndarray, *, name: str) -> keras.KerasTensor:
    """``x`` times a constant ``matrix`` on its last axis: an untrained Dense layer.

    Set, not initialised: a constant initializer would put the array into the saved
    config, which the bundle's allowlist refuses; the weights file carries it instead.
    """
    layer = keras.layers.Dense(matrix.shape[1], use_bias=False, trainable=False, name=name)
    outputs = layer(x)
    layer.set_weights([matrix])
    return outputs


def quantile_sums(levels: Sequence[float]) -> np.ndarray:
    """``(n_levels, n_levels)``: from ``[median, gap_0, ..., gap_{n-2}]`` (gap ``j`` lies
    between quantiles ``j`` and ``j + 1``) to the quantiles in increasing order."""
    middle = point_index(levels)
    sums = np.zeros((len(levels), len(levels)))
    sums[0, :] = 1.0
    for gap in range(len(levels) - 1):
        for level in range(len(levels)):
            if level <= gap < middle:
                sums[1 + gap, level] = -1.0
            elif middle <= gap < level:
                sums[1 + gap, level] = 1.0
    return sums
