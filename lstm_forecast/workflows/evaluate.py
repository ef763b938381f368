"""``evaluate``: score a bundle on the test part of its training data, or of other data
read the same way; optionally draw the test forecast."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from ..bundle.atomic import write_text_atomically
from ..bundle.layout import Bundle
from ..bundle.store import load_bundle
from ..errors import DataError
from ..report.exports import forecasts_text, metrics_text
from ..scoring.evaluation import Evaluation, evaluate_at
from ..scoring.naives import PartScores, all_zero_warning, beaten_warning
from .bundle_data import read_bundle_data
from .outputs import locked_outputs, save_figure
from .preflight import with_test_steps

_log = logging.getLogger(__name__)
# What ``--output`` writes the metrics as, by its suffix.
METRICS_SUFFIXES = (".json", ".csv")


def evaluate(
    run_dir: str | Path,
    data_path: Path | None = None,
    *,
    plot: Path | None = None,
    test_steps: int | None = None,
    output: Path | None = None,
    forecasts: Path | None = None,
) -> Evaluation:
    """Score the bundle in ``run_dir`` on the test part of its training data, or of
    ``data_path``: its config's ``split.test``, or the last ``test_steps`` rows of each
    series (so a bundle trained on everything can be scored on newer data); with
    ``plot``, also draw the test forecast to that file (its suffix names the format).
    Logs a warning when naive or seasonal naive forecast the test part better. With
    ``output``, write the metrics at full precision (JSON or CSV by its suffix); with
    ``forecasts``, every scored origin's forecasts and actuals as CSV (atomically)."""
    with locked_outputs(output, plot, output_suffixes=METRICS_SUFFIXES, forecasts=forecasts):
        evaluation = evaluate_bundle(load_bundle(Path(run_dir)), data_path, test_steps)
        if plot is not None:
            if not evaluation.n_origins:
                raise DataError(
                    "nothing to plot: no test origins to score (split.test is 0 or shorter "
                    "than the horizon); train with a test part, or leave out {plot}",
                    arguments=("plot",),
                )
            from ..report import plots

            save_figure(plots.test_forecast_figure(evaluation), plot)
        if output is not None:
            write_text_atomically(output, metrics_text(evaluation, output))
        if forecasts is not None:
            write_text_atomically(forecasts, forecasts_text(evaluation))
    return evaluation


def evaluate_bundle(
    bundle: Bundle, data_path: Path | None = None, test_steps: int | None = None
) -> Evaluation:
    """``evaluate``'s scores for a bundle already loaded (``report`` reads one bundle for
    its scores and its forecast), with the same warnings."""
    config = with_test_steps(bundle.config, test_steps)
    dataset = read_bundle_data(bundle, data_path)
    # A series not in training (a model without a series embedding can forecast it)
    # is scaled from its own rows before the test part, and reported apart.
    prepared = bundle.preprocessing.transform(config, dataset, unseen=True)
    evaluation = evaluate_at(prepared, bundle.forecaster, prepared.test_origins())
    unseen = bundle.preprocessing.unseen(dataset)
    evaluation = dataclasses.replace(evaluation, unseen=tuple(map(str, unseen)))
    scores = PartScores.of("test", evaluation)
    for warning in (scores and beaten_warning(scores), all_zero_warning(evaluation)):
        if warning:
            _log.warning(warning)
    return evaluation
