"""``explain``: which inputs drive a bundle's forecasts, by permutation importance on its
test windows (ONNX Runtime: no TensorFlow).

Each input column (a target's history, each feature, future-known and calendar input,
static feature, the series' identity) and each block of a target's lags (the last step,
the rest of the last season, older) is shuffled across the windows in turn; the increase
of the model's MASE is that input's importance. The target's history feeds the baseline
the network corrects as well as the network, so its figure covers both; a bundle that
serves the smoothing forecast or its mean (``model.serve``) is explained as it serves.
"""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from ..bundle.atomic import write_text_atomically
from ..bundle.store import load_bundle
from ..errors import DataError, UserError
from ..features import Preprocessing
from ..scoring.evaluation import forecast_origins, score_forecasts
from ..scoring.importance import Explanation, InputBlock, permutation_importance
from ..scoring.origins import origin_windows, scored_origins
from .bundle_data import read_bundle_data
from .outputs import locked_outputs, save_figure
from .preflight import with_test_steps

_log = logging.getLogger(__name__)


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
    if repeats < 1:  # before any work: no shuffle would leave every importance undefined
        raise UserError(
            f"{{repeats}} {repeats}: give a number of shuffles, 1 or more", arguments=("repeats",)
        )
    with locked_outputs(output=output, plot=plot):
        bundle = load_bundle(Path(run_dir))
        config = with_test_steps(bundle.config, test_steps)
        dataset = read_bundle_data(bundle, data_path)
        pre = bundle.preprocessing
        if pre.served.source == "smoothing":
            _log.warning(
                "the bundle serves %s, which reads no network input: every importance is 0 "
                "(model.serve)",
                pre.served.words(),
            )
        prepared = pre.transform(config, dataset, unseen=True)
        # The test origins evaluate scores, and scored as evaluate scores them.
        origins = scored_origins(prepared, prepared.test_origins())
        windows = origin_windows(prepared, origins)
        if len(windows) < 2:
            raise DataError(
                f"{len(windows)} test window(s) to shuffle: explain needs two or more; "
                "pass newer data with {data_path} and {test_steps} STEPS, or a bundle "
                "trained with a test part (split.test)",
                where=dataset.path,
                arguments=("data_path", "test_steps"),
            )

        def mase(shuffled: np.ndarray) -> float:
            forecasts = forecast_origins(prepared, bundle.forecaster, origins, shuffled)
            return score_forecasts(prepared, origins, forecasts).overall()["model"]["mase"]

        base, importances = permutation_importance(
            windows, mase, input_blocks(pre), repeats=repeats, seed=seed
        )
        n_series = sum(1 for rows in origins if len(rows))
        explanation = Explanation(base, len(windows), n_series, repeats, seed, tuple(importances))
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
