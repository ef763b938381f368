"""``evaluate``: score a bundle on the test part of its training data, or of other data
read the same way; optionally draw the test forecast."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from ..bundle.store import load_bundle
from ..errors import DataError
from ..scoring.evaluation import Evaluation, evaluate_at
from ..scoring.naives import PartScores, beaten_warning
from .bundle_data import read_bundle_data
from .outputs import locked_outputs, save_figure
from .preflight import with_test_steps

_log = logging.getLogger(__name__)


def evaluate(
    run_dir: str | Path,
    data_path: Path | None = None,
    *,
    plot: Path | None = None,
    test_steps: int | None = None,
) -> Evaluation:
    """Score the bundle in ``run_dir`` on the test part of its training data, or of
    ``data_path``: its config's ``split.test``, or the last ``test_steps`` rows of each
    series (so a bundle trained on everything can be scored on newer data); with
    ``plot``, also draw the test forecast to that file (its suffix names the format).
    Logs a warning when naive or seasonal naive forecast the test part better."""
    with locked_outputs(plot=plot):
        bundle = load_bundle(Path(run_dir))
        config = with_test_steps(bundle.config, test_steps)
        dataset = read_bundle_data(bundle, data_path)
        # A series not in training (a model without a series embedding can forecast it)
        # is scaled from its own rows before the test part, and reported apart.
        prepared = bundle.preprocessing.transform(config, dataset, unseen=True)
        evaluation = evaluate_at(prepared, bundle.forecaster, prepared.test_origins())
        unseen = bundle.preprocessing.unseen(dataset)
        evaluation = dataclasses.replace(evaluation, unseen=tuple(map(str, unseen)))
        scores = PartScores.of("test", evaluation)
        beaten = scores and beaten_warning(scores)
        if beaten:
            _log.warning(beaten)
        if plot is not None:
            if not evaluation.n_origins:
                raise DataError(
                    "nothing to plot: no test origins to score (split.test is 0 or shorter "
                    "than the horizon); train with a test part, or leave out {plot}",
                    arguments=("plot",),
                )
            from ..report import plots

            save_figure(plots.test_forecast_figure(evaluation), plot)
    return evaluation
