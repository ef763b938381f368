"""``evaluate``: score a bundle on the test part of its training data, or of other data
read the same way; optionally draw the test forecast."""

from __future__ import annotations

from pathlib import Path

from ..bundle.store import load_bundle
from ..errors import DataError
from ..scoring.evaluation import Evaluation, evaluate_at
from .outputs import locked_outputs, save_figure


def evaluate(
    run_dir: str | Path, data_path: Path | None = None, *, plot: Path | None = None
) -> Evaluation:
    """Score the bundle in ``run_dir`` on the test part of its training data, or of
    ``data_path``; with ``plot``, also draw the test forecast to that file (its suffix
    names the format)."""
    with locked_outputs(plot=plot):
        bundle = load_bundle(Path(run_dir))
        dataset = bundle.read_data(data_path)
        prepared = bundle.preprocessing.transform(bundle.config, dataset)
        evaluation = evaluate_at(
            prepared,
            bundle.forecaster,
            prepared.test_origins(),
            quantile_levels=bundle.config.model.quantiles,
        )
        if plot is not None:
            if not evaluation.n_origins:
                raise DataError(
                    "nothing to plot: no test origins to score (split.test is 0 or shorter "
                    "than the horizon); train with a test part, or leave out --plot"
                )
            from ..report import plots

            save_figure(plots.test_forecast_figure(evaluation), plot)
    return evaluation
