"""``train``: train a forecaster on the config's data, score its test part, and write the
bundle atomically (TensorFlow is imported once the bundle's lock is held)."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..bundle.layout import LOSS_PLOT, TEST_PLOT, Figure, write_body
from ..bundle.store import staged_bundle
from ..config import Config
from ..data import Dataset
from ..data.chunked import load_planned, plan_rows
from ..data.row_files import give_back_freed_memory, rows_in_files
from ..data.share import ALONE, Attempt, Share, Workers, pooled, pooled_sum, raised_together
from ..errors import counted
from ..features import Prepared, Preprocessing
from ..features.baselines import words as baseline_words
from ..features.pooling import pooled_preprocessing, pooled_skipped
from ..features.served import served_words
from ..nn.hooks import SILENT, TrainingHooks
from ..report import MAX_PANELS
from ..scoring.evaluation import Evaluation, SeriesForecasts, evaluate_at, score_table_at
from ..scoring.naives import AgainstNaives, all_zero_warning, beaten_warning
from ..scoring.origins import MOST_VALIDATION_ORIGINS, validation_spread
from ..scoring.pooling import pooled_evaluation, pooled_table
from ..scoring.tails import TailCalibration, held_out_distances
from .cluster import ClusterRole
from .forecaster import TrainedForecaster, train_forecaster
from .preflight import preflight

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainReport:
    run_dir: Path | None  # None: a worker of a multi-worker run, which writes nothing
    evaluation: Evaluation
    history: dict[str, list[float]]  # of the first ensemble member
    best_epoch: int
    seconds: float
    worker: str | None = None  # a multi-worker run's worker that wrote nothing: which one
    # What the network corrects, in words ("seasonal naive"; "" for none), and its loss on
    # the validation windows (None without them): the untrained network's, whose output
    # starts at zero.
    baseline: str = ""
    baseline_val_loss: float | None = None
    validation_windows: int = 0
    # The model beside both naives on validation and test, and what the bundle serves.
    against_naives: AgainstNaives | None = None

    @property
    def best_val_loss(self) -> float | None:
        losses = self.history.get("val_loss")
        return losses[self.best_epoch - 1] if losses else None

    @property
    def val_loss_ratio(self) -> float | None:
        """The best epoch's validation loss over its baseline's (None when either is
        unknown, or there is no baseline)."""
        best, start = self.best_val_loss, self.baseline_val_loss
        if not self.baseline or best is None or not start:
            return None
        return best / start

    @property
    def learned_little(self) -> bool:
        """Whether the network hardly moved from its baseline: no lower validation loss,
        or its best epoch among the first ``FEW_EPOCHS``."""
        ratio = self.val_loss_ratio
        return ratio is not None and (ratio >= 1 or self.best_epoch <= FEW_EPOCHS)


# A best epoch this early: the network stopped learning almost at once.
FEW_EPOCHS = 2
# Fewer validation windows than this: the judgment rests on them more than on the network.
FEW_VALIDATION_WINDOWS = 5


@dataclass(frozen=True)
class _Scored:
    """A trained forecaster with what the bundle holds of it: of workers that each hold a
    share of the series, every worker's series (``pooled``)."""

    trained: TrainedForecaster
    evaluation: Evaluation
    against: AgainstNaives
    tails: TailCalibration | None
    preprocessing: Preprocessing
    prepared: Prepared  # with every worker's skipped series
    validation_windows: int


def train(config: Config, *, hooks: TrainingHooks = SILENT) -> TrainReport:
    """Train on the config's data, score the test part and write the bundle atomically;
    ``hooks`` hear the training as it goes (TensorFlow is imported only once the bundle's
    lock is held, so a locked run stops at once).

    Under ``training.distribute: multi_worker`` every worker trains, and only the chief
    writes (the bundle, and TensorBoard logs); the others return a report with no
    ``run_dir``. Of several series (``data.id_column``), each worker reads only its share
    (``Share``), and what is decided or scored across series is pooled.
    """
    role = preflight("train", config)
    if not role.is_chief:
        logless = config.training.model_copy(update={"tensorboard": None})
        config = config.model_copy(update={"training": logless})
        return _report(_trained_and_scored(config, role, hooks), None, role.describe())
    # The bundle's lock is taken first, so a second run on it stops at once.
    with staged_bundle(config.run_dir) as staging:
        scored = _trained_and_scored(config, role, hooks)
        trained = scored.trained
        write_body(
            staging,
            config=config,
            prepared=scored.prepared,
            preprocessing=scored.preprocessing,
            evaluation=scored.evaluation,
            against_naives=scored.against,
            network=trained.network,
            check_inputs=_onnx_check_inputs(trained),
            plots=_figures(trained, scored.evaluation),
            parent=trained.parent,
            tails=scored.tails,
        )
    return _report(scored, config.run_dir)


def _trained_and_scored(config: Config, role: ClusterRole, hooks: TrainingHooks) -> _Scored:
    """Load, train and score, the rows where ``training.memory_budget_mb`` puts them.

    A worker reads its share before it joins the others: joining loads TensorFlow and the
    strategy (0.7 GiB), which would otherwise sit under the load's peak. A share refused
    stops every worker once they have joined (``raised_together``)."""
    share = role.share_of_series(config.data.id_column)
    budget = config.training.memory_budget_mb
    planned = Attempt.of(lambda: plan_rows(config.data, budget, share))
    with rows_in_files(None if planned.result is None else planned.result.folder):
        loaded = Attempt.of(lambda: load_planned(config.data, planned.value(), share))
        workers = _workers(share)
        dataset = raised_together(workers, loaded.value)
        return _scored(config, dataset, workers, hooks)


def _scored(config: Config, dataset: Dataset, workers: Workers, hooks: TrainingHooks) -> _Scored:
    trained = train_forecaster(config, dataset, hooks=hooks, workers=workers)
    evaluation = pooled_evaluation(_test_scores(trained), workers, drawn=MAX_PANELS)
    against, tails = _validation(trained, evaluation)
    prepared = trained.prepared
    skipped = pooled_skipped(prepared.skipped, workers)
    return _Scored(
        trained=trained,
        evaluation=evaluation,
        against=against,
        tails=tails,
        preprocessing=pooled_preprocessing(trained.preprocessing, workers),
        prepared=dataclasses.replace(prepared, skipped=skipped),
        validation_windows=int(pooled_sum(workers, len(trained.validation_windows))),
    )


def _workers(share: Share | None) -> Workers:
    """Every worker, joined (``share``: this one's), or this process alone."""
    if share is None:
        return ALONE
    from ..nn.exchange import StrategyWorkers, strategy_for

    return StrategyWorkers.joined(strategy_for("multi_worker"), share)


def _test_scores(trained: TrainedForecaster) -> Evaluation:
    prepared = trained.prepared
    evaluation = evaluate_at(prepared, trained.forecaster, prepared.test_origins())
    give_back_freed_memory()
    return evaluation


def _validation(
    trained: TrainedForecaster, evaluation: Evaluation
) -> tuple[AgainstNaives, TailCalibration | None]:
    """The model beside both naives on the validation origins and the test's, and for a
    quantile model, how far out of its band the validation rows fell (``detect``'s tail
    calibration; None when too few); of every worker's series."""
    prepared = trained.prepared
    origins, step = validation_spread(prepared)
    if step > 1:
        _log.info(
            "validation scored against the naives at one origin in %d of each series' "
            "(%s in all), as it has more than %s",
            step,
            f"{sum(map(len, origins)):,}",
            f"{MOST_VALIDATION_ORIGINS:,}",
        )
    levels = prepared.coding.quantile_levels
    # ``(n, horizon)``, none for a model without a band.
    distances: list[np.ndarray] = [np.zeros((0, prepared.coding.horizon))]

    def measure(series: SeriesForecasts) -> None:
        if series.quantiles is not None and len(series.origins):
            distances.append(held_out_distances(series, (levels[0], levels[-1])))

    workers = prepared.workers
    table = score_table_at(prepared, trained.forecaster, origins, measure)
    give_back_freed_memory()
    validation = pooled_table(table, workers)
    coding = prepared.coding
    corrects = "" if coding.baseline == "none" else baseline_words(coding.baseline)
    choice = trained.served
    against = AgainstNaives.of(validation, evaluation, corrects, choice.served.source, choice.why)
    pooled_distances = pooled(workers, np.concatenate(distances))
    tails = TailCalibration.fit(pooled_distances) if len(pooled_distances) else None
    return against, tails


def _report(scored: _Scored, run_dir: Path | None, worker: str | None = None) -> TrainReport:
    trained, evaluation, against = scored.trained, scored.evaluation, scored.against
    first = trained.network.members[0]
    report = TrainReport(
        run_dir=run_dir,
        evaluation=evaluation,
        history=first.history,
        best_epoch=first.best_epoch,
        seconds=trained.network.seconds,
        worker=worker,
        baseline=against.corrects,
        baseline_val_loss=first.start_val_loss,
        validation_windows=scored.validation_windows,
        against_naives=against,
    )
    if report.learned_little and against.serves == "smoothing":
        # Said, not warned: the bundle does not serve the network's forecast.
        _log.info(_learned_little(report))
    elif report.learned_little:
        _log.warning(_learned_little(report))
    for warning in (against.test and beaten_warning(against.test), all_zero_warning(evaluation)):
        if warning:
            _log.warning(warning)
    return report


def _learned_little(report: TrainReport) -> str:
    figures = (
        f"validation loss {report.best_val_loss:.4g} against {report.baseline_val_loss:.4g}, "
        f"{counted(report.validation_windows, 'window')}"
    )
    if (report.val_loss_ratio or 0.0) >= 1:
        what = f"does not beat the {report.baseline} forecast it corrects ({figures})"
    else:
        what = (
            f"stopped improving on the {report.baseline} forecast it corrects at epoch "
            f"{report.best_epoch} of {len(report.history['loss'])} ({figures})"
        )
    if report.validation_windows < FEW_VALIDATION_WINDOWS:
        advice = (
            f"This rests on {counted(report.validation_windows, 'validation window')}: "
            "a longer split.validation, if the series allows it, judges the network on more"
        )
    else:
        advice = "Try more data, a shorter window.lookback, or model.baseline: none"
    serves = report.against_naives.serves if report.against_naives else "network"
    if serves != "network":
        advice = f"The bundle serves {served_words(serves)}. " + advice
    return f"the network {what}: it learned little from this data. {advice}"


def _figures(trained: TrainedForecaster, evaluation: Evaluation) -> dict[str, Figure]:
    from ..report import plots

    first = trained.network.members[0]
    figures: dict[str, Figure] = {LOSS_PLOT: plots.loss_figure(first.history, first.best_epoch)}
    if evaluation.n_origins:
        figures[TEST_PLOT] = plots.test_forecast_figure(evaluation)
    return figures


def _onnx_check_inputs(trained: TrainedForecaster) -> np.ndarray:
    """Encoded network inputs to compare ONNX Runtime with Keras on."""
    inputs, _ = trained.check_windows.gather()
    return trained.prepared.coding.encode(inputs)[0]
