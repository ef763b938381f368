"""``report``: one self-contained HTML page about a bundle: what it learned beside its
baselines, the test metrics, each series' test-part and future forecasts with the band (a
picker when there are several), and explain's ranking and detect's events when given
(no TensorFlow, no matplotlib: the charts are inline SVG)."""

from __future__ import annotations

import csv
import logging
from pathlib import Path

import pandas as pd

from ..bundle.atomic import write_text_atomically
from ..bundle.layout import HISTORY_FILE, METRICS_FILE, Bundle, read_json
from ..bundle.store import load_bundle
from ..errors import DataError
from ..features.served import served_words
from ..report import views
from ..report.exports import metrics_table
from ..report.page import Page, render_page
from .evaluate import evaluate_bundle
from .outputs import locked_page
from .predict import forecast_bundle

_log = logging.getLogger(__name__)
# The columns a file must have to be read as explain's ranking or detect's events.
EXPLAIN_COLUMNS = ("input", "kind", "mase_increase")
EVENT_COLUMNS = ("start", "end")
MOST_INPUT_BYTES = 64 << 20


def report(
    run_dir: str | Path,
    data_path: Path | None = None,
    *,
    output: Path,
    explanation: Path | None = None,
    events: Path | None = None,
) -> Page:
    """Write the report page of the bundle in ``run_dir`` to ``output`` (atomically): the
    test part and the forecast of its training data, or of ``data_path``; with
    ``explanation`` (``explain --output``'s CSV) its ranking, with ``events``
    (``detect --output``'s CSV) the events, marked on the charts too."""
    with locked_page(output):
        run_dir = Path(run_dir)
        ranking = _read_table(explanation, "explain", EXPLAIN_COLUMNS)
        found = _read_table(events, "detect", EVENT_COLUMNS)
        bundle = load_bundle(run_dir)
        evaluation = evaluate_bundle(bundle, data_path)
        futures, no_forecast = _futures(bundle, data_path)
        metrics = read_json(run_dir, METRICS_FILE)
        against = metrics.get("against_naives")
        charts = views.series_views(evaluation, futures, found)
        total = len(evaluation.series)
        page = Page(
            title=f"lstm-forecast report: {bundle.config.name}",
            lead=_lead(bundle, data_path or bundle.config.data.path, total, against),
            warnings=[*_warnings(against), *no_forecast],
            learned=views.learned_table(against),
            loss_chart=views.loss_chart(_history(run_dir), _best_epoch(bundle)),
            metrics=views.metrics_tables(metrics_table(evaluation)),
            series=charts,
            series_note=_series_note(evaluation.targets, len(charts), total),
            explanation=None
            if ranking is None
            else views.frame_table(ranking, "Inputs by how much shuffling them raises MASE"),
            events=None if found is None else views.frame_table(found, "One row per event"),
        )
        write_text_atomically(output, render_page(page))
    return page


def _futures(
    bundle: Bundle, data_path: Path | None
) -> tuple[dict[str | None, pd.DataFrame], list[str]]:
    """Each series' forecast after the data, and what to say when there is none: a model
    with inputs known ahead needs their future rows, which training data does not hold."""
    try:
        forecast = forecast_bundle(bundle, data_path)
    except DataError as exc:
        if not bundle.preprocessing.future_rows:
            raise
        return {}, [f"No forecast after the data (the charts end with it): {exc.message}"]
    series = forecast.dataset.series
    return {s.id: f for s, f in zip(series, forecast.futures, strict=True)}, []


def _lead(bundle: Bundle, data: Path, total: int, against: dict | None) -> list[str]:
    config, meta = bundle.config, bundle.metadata
    window = config.window
    lines = [
        f"Bundle {bundle.run_dir}, made {meta.get('created', 'at an unknown time')} by "
        f"lstm-forecast {meta.get('lstm_forecast', '?')}.",
        f"Data: {data} ({total} series); each "
        f"forecast reads {window.lookback} steps and forecasts {window.horizon}.",
    ]
    served = served_words((against or {}).get("serves", "network"))
    return lines + list(views.serves_line(against, served))


def _warnings(against: dict | None) -> list[str]:
    test = (against or {}).get("test") or {}
    beaten = [name.replace("_", " ") for name in test.get("beaten_by", [])]
    if not beaten:
        return []
    verb = "forecasts" if len(beaten) == 1 else "forecast"
    return [f"On the test part {' and '.join(beaten)} {verb} better than the model."]


def _series_note(targets: tuple[str, ...], drawn: int, total: int) -> str:
    what = f"The charts show {targets[0]!r}" + (
        f" (the first of {len(targets)} targets; the tables cover every one)"
        if len(targets) > 1
        else ""
    )
    shown = f"; the first {drawn} of {total} series are drawn" if drawn < total else ""
    return (
        f"{what}{shown}. The grey stretch is the test part: there the model's forecasts "
        "from origins one horizon apart are drawn beside both naives; the forecast after "
        "the data ends follows it."
    )


def _history(run_dir: Path) -> pd.DataFrame | None:
    path = run_dir / HISTORY_FILE
    history = pd.read_csv(path)
    return history if {"member", "epoch", "loss"} <= set(history.columns) else None


def _best_epoch(bundle: Bundle) -> int | None:
    best = bundle.metadata.get("best_epoch")
    if isinstance(best, list) and best and isinstance(best[0], int):
        return best[0]
    return best if isinstance(best, int) else None


def _read_table(path: Path | None, command: str, needed: tuple[str, ...]) -> pd.DataFrame | None:
    """``path``, a CSV another command wrote, or None; refused unless it has ``needed``."""
    if path is None:
        return None
    fix = f"give the CSV that {command} --output wrote"
    try:
        if path.stat().st_size > MOST_INPUT_BYTES:
            raise DataError(f"larger than {MOST_INPUT_BYTES} bytes; {fix}", where=path)
        frame = pd.read_csv(path, dtype={"series": "string"})
    except FileNotFoundError:
        raise DataError(f"not found; {fix}", where=path) from None
    except (OSError, ValueError, csv.Error, pd.errors.ParserError) as exc:
        raise DataError(f"cannot be read as CSV ({exc}); {fix}", where=path) from None
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise DataError(
            f"has no column {', '.join(map(repr, missing))}, so it is not {command}'s "
            f"output; {fix}",
            where=path,
        )
    return frame
