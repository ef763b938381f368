"""``explain``: which inputs drive a bundle's forecasts, by permutation importance on its
test windows (ONNX Runtime: no TensorFlow).

Each input column (a target's history, each feature, future-known and calendar input,
static feature, the series' identity) and each block of a target's lags (the last step,
the rest of the last season, older) is shuffled across the windows in turn; the increase
of the model's MASE is that input's importance. The target's history feeds the baseline
the network corrects as well as the network, so its figure covers both.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from ..bundle.atomic import write_text_atomically
from ..bundle.store import load_bundle
from ..errors import DataError
from ..features import Prepared, Preprocessing
from ..scoring.evaluation import Forecaster
from ..scoring.importance import Explanation, InputBlock, permutation_importance
from ..scoring.metrics import mase_scale
from .checks import with_test_steps
from .outputs import locked_outputs, save_figure


def explain(
    run_dir: str | Path,
    data_path: Path | None = None,
    *,
    test_steps: int | None = None,
    repeats: int = 5,
    seed: int = 0,
    output: Path | None = None,
    plot: Path | None = None,
) -> Explanation:
    """Permutation importance of every input of the bundle in ``run_dir`` on the test
    windows of its training data or of ``data_path`` (``split.test``, or each series'
    last ``test_steps`` rows), ``repeats`` shuffles each with ``seed``. With ``output``,
    write the table as CSV (atomically); with ``plot``, draw it as bars."""
    with locked_outputs(output=output, plot=plot):
        bundle = load_bundle(Path(run_dir))
        config = with_test_steps(bundle.config, test_steps)
        dataset = bundle.read_data(data_path)
        pre = bundle.preprocessing
        prepared = pre.transform(config, dataset, unseen=True)
        windows = prepared.windows("test")
        if len(windows) < 2:
            raise DataError(
                f"{len(windows)} test window(s) to shuffle: explain needs two or more; "
                "pass newer data with --data and --test STEPS, or a bundle trained with "
                "a test part (split.test)",
                where=dataset.path,
            )
        inputs, targets = windows.gather()
        score = _mase_of(prepared, bundle.forecaster, windows.starts, targets)
        base, importances = permutation_importance(
            inputs, score, input_blocks(pre), repeats=repeats, seed=seed
        )
        series = np.unique(_series_of(prepared, windows.starts))
        explanation = Explanation(
            base, len(windows), len(series), repeats, seed, tuple(importances)
        )
        if output is not None:
            write_text_atomically(output, explanation.to_csv())
        if plot is not None:
            from ..report import plots

            save_figure(plots.importance_figure(explanation.table(), base), plot)
    return explanation


def input_blocks(pre: Preprocessing) -> list[InputBlock]:
    """Every input column of the windows, and each target's lag blocks."""
    coding = pre.coding
    lookback, every_row = coding.lookback, tuple(range(coding.window_rows))
    past = tuple(range(lookback))
    known = set(coding.future_columns)
    blocks = []
    for column, name in enumerate(pre.columns):
        if column < pre.n_targets:
            blocks.append(InputBlock(f"{name} (history)", "target", past, (column,)))
            blocks += _lag_blocks(name, column, lookback, coding.season_length)
        elif column in known:
            blocks.append(InputBlock(name, "future feature", every_row, (column,)))
        else:
            blocks.append(InputBlock(name, "feature", past, (column,)))
    first = len(pre.columns)
    for k, name in enumerate(pre.calendar_features):
        columns = (first + 2 * k, first + 2 * k + 1)
        rows = every_row if columns[0] in known else past
        blocks.append(InputBlock(f"calendar: {name}", "calendar", rows, columns))
    first += 2 * len(pre.calendar_features)
    for k, name in enumerate(pre.static_features):
        blocks.append(InputBlock(name, "static", past, (first + k,)))
    if pre.series_embedding:
        last = first + len(pre.static_features)
        blocks.append(InputBlock("series identity (embedding)", "series", past, (last,)))
    return blocks


def _lag_blocks(name: str, column: int, lookback: int, season: int) -> list[InputBlock]:
    """The last step, the rest of the last season (with a season the lookback exceeds),
    and the older rows, as separate blocks."""
    blocks = [InputBlock(f"{name}: last step", "lags", (lookback - 1,), (column,))]
    start = lookback - 1
    if 1 < season < lookback:
        start = lookback - season
        rest = tuple(range(start, lookback - 1))
        blocks.append(InputBlock(f"{name}: rest of last season", "lags", rest, (column,)))
    if start > 0:
        blocks.append(InputBlock(f"{name}: older", "lags", tuple(range(start)), (column,)))
    return blocks


def _series_of(prepared: Prepared, starts: np.ndarray) -> np.ndarray:
    """Each window's series (its place in ``prepared.dataset.series``)."""
    return np.searchsorted(prepared.offsets, starts, side="right") - 1


def _mase_of(
    prepared: Prepared, forecaster: Forecaster, starts: np.ndarray, targets: np.ndarray
) -> Callable[[np.ndarray], float]:
    """A function from windows (in the order of ``starts``) to the model's MASE on them:
    per series its MAE in original units over its MASE scale, then the mean over series
    (and targets), as evaluate computes it."""
    n_targets, season = prepared.coding.n_targets, prepared.coding.season_length
    which = _series_of(prepared, starts)
    point = (prepared.coding.quantile_levels or (0.5,)).index(0.5)
    groups = []
    for k in np.unique(which):
        series, bounds = prepared.dataset.series[k], prepared.bounds[k]
        scaler = prepared.scalers[k]
        mask = which == k
        scale = mase_scale(series.values[: bounds.train_end, :n_targets], season)
        groups.append((mask, scaler, scaler.inverse_targets(targets[mask]), scale))

    def score(windows: np.ndarray) -> float:
        forecasts = forecaster(windows)[..., point]
        per_series = []
        for mask, scaler, actual, scale in groups:
            error = np.abs(scaler.inverse_targets(forecasts[mask]) - actual)
            with np.errstate(invalid="ignore", divide="ignore"):
                per_series.append(np.mean(error.mean(axis=(0, 1)) / scale))
        finite = [m for m in per_series if np.isfinite(m)]
        return float(np.mean(finite)) if finite else float("nan")

    return score
