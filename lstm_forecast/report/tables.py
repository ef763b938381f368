"""Every text table lstm-forecast prints: test metrics, backtest folds, tuning trials and
what validate found. Results in, text out; nothing here prints."""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

from ..config import Config
from ..data import Dataset
from ..errors import counted
from ..features import Prepared
from ..features.served import served_words
from ..scoring.backtest import Backtest
from ..scoring.evaluation import MODELS, Evaluation, SeriesForecasts
from ..scoring.importance import Explanation
from ..scoring.naives import AgainstNaives, PartScores
from ..scoring.trials import TuneResult

# The printed table's origin for a fold whose series have different origins.
BY_SERIES = "by series"


def format_table(
    evaluation: Evaluation, title: str = "test", most: int | None = None, rest: str = ""
) -> str:
    """The metrics table; for several series, their mean first, then one block per series:
    every one, or beyond ``most`` series the ``most`` with the highest model MASE and a
    line saying where the others are (``rest``)."""
    if evaluation.n_origins == 0:
        return (
            f"no {title} origins to score (split.test is 0 or shorter than the horizon): to "
            f"see how well the model forecasts, hold out a test part, e.g. --set "
            f"split.test={2 * evaluation.horizon} (two horizons), or run backtest"
        )
    rows = [("mean" if len(evaluation.series) > 1 else "", evaluation.overall())]
    shown, hidden = _series_shown(evaluation, most)
    rows += [(str(s.id), s.mean_scores()) for s in shown]
    width = max(len("series"), *(len(name) for name, _ in rows)) if len(rows) > 1 else 0
    lead = f"{'series':{width}}  " if width else ""
    intervals = len(evaluation.quantile_levels) > 1
    extra = f"{'cover%':>8}{'pinball':>10}{'MSIS':>9}{'CRPS':>8}" if intervals else ""
    lines = [
        f"{title}: {counted(evaluation.n_origins, 'forecast origin')} x "
        f"{counted(evaluation.horizon, 'step')}, "
        f"season length {evaluation.season_length}",
        f"{lead}{'model':16}{'MAE':>12}{'RMSE':>12}{'sMAPE%':>10}{'MASE':>9}{extra}",
    ]
    for name, table in rows:
        for model in MODELS:
            row = table[model]
            lead = f"{name:{width}}  " if width else ""
            tail = ""
            if intervals and "coverage" in row:
                tail = (
                    f"{100 * row['coverage']:8.1f}{row['pinball']:10.4g}"
                    f"{row['msis']:9.3f}{row['crps']:8.4f}"
                )
            lines.append(
                f"{lead}{model:16}{row['mae']:12.4g}{row['rmse']:12.4g}"
                f"{row['smape']:10.2f}{row['mase']:9.3f}{tail}"
            )
    if len(evaluation.series) > 1:
        wins, compared = evaluation.share_beating()
        if compared:
            lines.append(
                f"model beats naive and seasonal naive (MASE) on {wins} of {compared} series "
                f"({100 * wins / compared:.0f} %)"
            )
    if hidden:
        where = f": {rest}" if rest else ""
        lines.append(
            f"the {len(shown)} series above have the highest model MASE; "
            f"{hidden} more series{where}"
        )
    if intervals:
        lines.append(_interval_note(evaluation.quantile_levels))
    if evaluation.unseen:
        lines += _seen_apart(evaluation)
    return "\n".join(lines)


def _series_shown(evaluation: Evaluation, most: int | None) -> tuple[list[SeriesForecasts], int]:
    """The series whose blocks the table prints (none for a single series), and how many
    scored series it leaves out: beyond ``most``, only the ``most`` worst by model MASE."""
    scored = [s for s in evaluation.series if len(s.origins)] if len(evaluation.series) > 1 else []
    if most is None or len(scored) <= most:
        return scored, 0

    def mase(series: SeriesForecasts) -> float:
        value = series.mean_scores()["model"]["mase"]
        return value if math.isfinite(value) else -math.inf

    return sorted(scored, key=mase, reverse=True)[:most], len(scored) - most


def _interval_note(levels: tuple[float, ...]) -> str:
    band = f"{100 * levels[0]:g}-{100 * levels[-1]:g} %"
    return (
        f"intervals: cover% and MSIS of the {band} band, pinball and CRPS (weighted quantile "
        "loss) over every quantile; seasonal naive's band from its train-part errors"
    )


def format_against_naives(against: AgainstNaives) -> str:
    """The model beside both naives on validation and on test (``format_part``), then
    what the bundle serves: ``train``'s last lines."""
    parts = [p for p in (against.validation, against.test) if p is not None]
    return "\n".join([*map(format_part, parts), format_serves(against)])


def format_part(scores: PartScores) -> str:
    """One line: the model's MASE on a part beside naive's and seasonal naive's, and
    which forecast did best there."""
    figures = (
        f"{scores.part} MASE {scores.model:.3f} against naive {scores.naive:.3f} and "
        f"seasonal naive {scores.seasonal_naive:.3f} ({counted(scores.origins, 'origin')})"
    )
    if scores.beaten_by:
        return f"{figures}: {scores.naives_better}"
    naives = [m for m in (scores.naive, scores.seasonal_naive) if math.isfinite(m)]
    if not naives or not math.isfinite(scores.model) or min(naives) <= 0:
        return figures  # a MASE is undefined (a constant train part): no share to give
    lower = 100 * (1 - scores.model / min(naives))
    return f"{figures}: {lower:.0f} % lower than the better naive"


def format_serves(against: AgainstNaives) -> str:
    """What the bundle forecasts with, and why when it is not the network alone."""
    correcting = f", correcting the {against.corrects} forecast" if against.corrects else ""
    network = f"the network's forecasts{correcting}"
    why = f" ({against.why})" if against.why and against.serves != "network" else ""
    return f"the bundle serves {served_words(against.serves, network)}{why}"


def _seen_apart(evaluation: Evaluation) -> list[str]:
    """Mean MASE of the series in training and of those not, one line each."""
    lines = []
    for seen, what in ((True, "in training"), (False, "not in training (own scaling)")):
        table = evaluation.overall(seen)
        if table:
            count = sum(1 for _ in evaluation.scored(seen))
            scores = ", ".join(f"{m} {table[m]['mase']:.3f}" for m in MODELS)
            lines.append(f"{count} series {what}: mean MASE {scores}")
    return lines


def _backtest_cell(metric: str, value: float) -> str:
    """A backtest table cell; blank where the model has no such figure (naive: no band)."""
    if metric in ("coverage", "pinball", "msis", "crps") and value != value:  # NaN
        return f"{'':10}"
    return f"{100 * value if metric == 'coverage' else value:10.4g}"


def format_backtest(result: Backtest) -> str:
    """Per fold and model (the mean over series for long format), then the mean over folds."""
    table = result.table()
    metrics = [
        c
        for c in ("mae", "rmse", "smape", "mase", "coverage", "pinball", "msis", "crps")
        if c in table.columns
    ]
    # A fold's origin date, or a mark where its series' origins differ (they end at
    # different times); backtest.csv holds each series' own.
    origins = table.groupby("fold", sort=False)["origin"].agg(
        lambda dates: dates.iloc[0] if dates.nunique() == 1 else BY_SERIES
    )
    table = table.groupby(["fold", "model"], sort=False)[metrics].mean().reset_index()
    table.insert(1, "origin", table["fold"].map(origins))
    names = {
        "mae": "MAE",
        "rmse": "RMSE",
        "smape": "sMAPE%",
        "mase": "MASE",
        "coverage": "cover%",
        "pinball": "pinball",
        "msis": "MSIS",
        "crps": "CRPS",
    }
    how = "one model per fold (--refit)" if result.refit else "one model, trained before fold 1"
    lines = [
        f"backtest: {counted(len(result.folds), 'fold')} x "
        f"{counted(result.folds[0].horizon, 'step')}, {how}, "
        f"season length {result.folds[0].season_length}",
        f"{'fold':6}{'origin':12}{'model':16}" + "".join(f"{names[m]:>10}" for m in metrics),
    ]
    for row in table.itertuples(index=False):
        values = "".join(_backtest_cell(m, getattr(row, m)) for m in metrics)
        lines.append(f"{row.fold:6}{row.origin:12}{row.model:16}{values}")
    if (origins == BY_SERIES).any():
        lines.append(
            f"{BY_SERIES}: the series end at different times, so each has its own origins "
            "(backtest.csv gives them)"
        )
    wins, compared = result.share_beating()
    if len(result.folds[0].series) > 1 and compared:
        lines.append(
            f"model beats naive and seasonal naive (MASE, mean over folds) on {wins} of "
            f"{compared} series ({100 * wins / compared:.0f} %)"
        )
    return "\n".join(lines)


def format_tune(result: TuneResult, best_path: Path) -> str:
    """Every trial, then the best one and how to reproduce it."""
    table = result.table()
    if not table["failure"].any():
        table = table.drop(columns="failure")
    lines = [table.to_string(index=False, float_format=lambda v: f"{v:.6g}")]
    best = result.best
    lines.append(
        f"best: trial {best.number}, {result.objective} {best.objective:.6g}; "
        f"lstm-forecast {'backtest' if result.objective == 'backtest_mase' else 'train'} "
        f"{best_path} reproduces it"
    )
    return "\n".join(lines)


def format_validation(
    config_path: Path,
    dataset: Dataset,
    prepared: Prepared,
    windows: Mapping[str, int],
    run_dir: Path,
    replaces_bundle: bool,
) -> str:
    """What validate found: the data as the config reads it, its split and windows."""
    rows = sum(len(s) for s in dataset.series)
    parts = {"train": 0, "validation": 0, "test": 0}
    for b in prepared.bounds:
        parts["train"] += b.train_end
        parts["validation"] += b.validation_size
        parts["test"] += b.test_size
    count = len(dataset.series)
    lines = [
        f"{config_path}: ok",
        f"data: {dataset.path}: {count} series, {rows} rows, frequency {dataset.freq}, "
        f"columns {', '.join(dataset.columns)}",
        "split (rows): " + ", ".join(f"{k} {v}" for k, v in parts.items()),
        *(
            [f"skipped: {len(prepared.skipped)} series too short to train on (see the warnings)"]
            if prepared.skipped
            else []
        ),
        "windows: " + ", ".join(f"{k} {v}" for k, v in windows.items()),
        f"output: {run_dir} ({'replaces the bundle there' if replaces_bundle else 'new'})",
    ]
    return "\n".join(lines)


def format_draft(path: Path, config: Config, dataset: Dataset, skipped: int) -> str:
    """What init wrote, in a few lines, and the command to run next."""
    data, window, split = config.data, config.window, config.split
    series = f"{len(dataset.series)} series"
    if data.id_column is not None:
        short = f"; {skipped} too short to train on" if skipped else ""
        series += f" (by {data.id_column!r}{short})"
    return "\n".join(
        [
            f"wrote {path}",
            f"data: time {data.time_column!r}, target {', '.join(map(repr, data.targets))}, "
            f"{series}, frequency {dataset.freq}",
            f"window: lookback {window.lookback}, horizon {window.horizon}; "
            f"split: validation {split.validation}, test {split.test} steps",
            f"next: lstm-forecast train {path}",
        ]
    )


def format_importance(explanation: Explanation) -> str:
    """``explain``'s table: each input's increase of MASE when shuffled, most first."""
    rows = explanation.importances
    width = max(len("input"), *(len(i.block.name) for i in rows))
    lines = [
        f"explain: {explanation.n_windows} test windows of {explanation.n_series} series, "
        f"model MASE {explanation.base_mase:.3f}; each input shuffled across the windows "
        f"{explanation.repeats} times (seed {explanation.seed})",
        f"{'input':{width}}  {'kind':16}{'MASE +':>9}{'spread':>9}{'relative':>10}",
    ]
    for row in rows:
        relative = 100 * row.mean / explanation.base_mase
        lines.append(
            f"{row.block.name:{width}}  {row.block.kind:16}{row.mean:9.3f}{row.spread:9.3f}"
            f"{relative:9.1f}%"
        )
    lines.append(
        "MASE +: how much worse the forecasts get without that input's link to the rest; "
        "inputs that carry the same information share the credit"
    )
    return "\n".join(lines)
