"""``detect``: the observations outside the model's calibrated band, each forecast from
the history before it, ``step`` steps ahead (ONNX Runtime: no TensorFlow on the cron path).

A row's score is how far outside the band it falls, in band widths (0 inside): an
observation one band width above the upper bound scores 1. Flags that belong together
are one event (``scoring.events``): the report has a row per event, or per row."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..bundle.atomic import write_text_atomically
from ..bundle.layout import Bundle
from ..bundle.store import load_bundle
from ..config import MissingPolicy
from ..data import Dataset, Series
from ..data.timeindex import show_time, with_formatted_times
from ..errors import UserError, first_few
from ..features import Preprocessing
from ..features.forecasts import Forecasts, forecast_in_units
from ..features.scaling import Scaler
from ..scoring.events import group_events
from ..scoring.tails import Flagging, outside_by
from .bundle_data import read_bundle_data
from .event_memory import recall, remember
from .outputs import locked_outputs, save_figure


@dataclass(frozen=True)
class Detection:
    """``frame``: every checked observation: series, time, actual, forecast, lower,
    upper, score, anomaly (and ``target`` after ``time`` when the model forecasts
    several), in the data's order. ``events``: the flags grouped (``group_events``), one
    row each."""

    frame: pd.DataFrame
    events: pd.DataFrame
    dataset: Dataset
    step: int
    rule: Flagging  # the band's levels, and the threshold (None: the band) and calibration
    gap: int  # flags with at most this many unflagged rows between them are one event

    @property
    def n_anomalies(self) -> int:
        return int(self.frame["anomaly"].sum())

    @property
    def n_events(self) -> int:
        return len(self.events)

    @property
    def n_new(self) -> int:
        """Events not reported by an earlier run with the same ``--output``."""
        return int(self.events["new"].sum())

    def to_csv(self, rows: bool = False) -> str:
        """The events, or with ``rows`` every checked observation."""
        table = self.frame if rows else self.events
        return table.to_csv(index=False, float_format="%.8g")

    def summary(self) -> str:
        """How many were flagged, in how many events, in one line."""
        flagged = self.rule.describe()
        return (
            f"{self.n_anomalies} of {len(self.frame)} observations {flagged} ({self.step} "
            f"step(s) ahead), in {self.n_events} event(s), {self.n_new} new (flags at most "
            f"{self.gap} row(s) apart are one)"
        )


def detect(
    run_dir: str | Path,
    data_path: Path | None = None,
    *,
    step: int = 1,
    last: int | None = None,
    output: Path | None = None,
    plot: Path | None = None,
    missing: MissingPolicy | None = None,
    gap: int | None = None,
    rows: bool = False,
    threshold: float | None = None,
) -> Detection:
    """Check the rows of ``data_path`` (default: the bundle's training data) after the
    training data's end, or each series' ``last`` rows: forecast each from the rows before
    it, ``step`` steps ahead, and flag it outside the model's outer quantile band (or with
    a ``tail_probability`` under ``threshold``). Flags at most ``gap`` unflagged rows apart
    (default: a season or the horizon, the longer) are one event. ``output`` gets the
    events (``rows``: every row), written atomically; ``plot`` each series with its band,
    flags and events."""
    _check_counts(last, gap, threshold)
    with locked_outputs(output=output, plot=plot):
        bundle = load_bundle(Path(run_dir))
        pre = bundle.preprocessing
        if not 1 <= step <= pre.horizon:
            raise UserError(
                f"{{step}} {step}: the model forecasts steps 1 to {pre.horizon}",
                arguments=("step",),
            )
        rule = Flagging(_band_levels(bundle), threshold, bundle.tails, step)
        dataset = read_bundle_data(bundle, data_path, missing=missing)
        checked = _checked_rows(bundle, dataset, step, last, rule)
        gap = max(pre.coding.season_length, pre.horizon) if gap is None else gap
        events, memory = recall(group_events(checked, gap), output)
        shown = with_formatted_times(events, ["start", "end", "peak_time"], dataset.time_format)
        rows_shown = with_formatted_times(checked, ["time"], dataset.time_format)
        detection = Detection(rows_shown, shown, dataset, step, rule, gap)
        if output is not None:
            write_text_atomically(output, detection.to_csv(rows))
            remember(output, memory)
        if plot is not None:
            from ..report import plots

            save_figure(plots.anomaly_figure(dataset, checked, events), plot)
    return detection


def _checked_rows(
    bundle: Bundle, dataset: Dataset, step: int, last: int | None, rule: Flagging
) -> pd.DataFrame:
    """Every checked row of every series (``detect``'s table, times as timestamps)."""
    pre = bundle.preprocessing
    firsts = [_first_checked(pre, s, last) for s in dataset.series]
    # A series not in training is scaled from its rows before the first checked one,
    # never from the rows being judged.
    own_rows = [
        len(s) if f is None else max(f, 1) for s, f in zip(dataset.series, firsts, strict=True)
    ]
    scalers = pre.scalers_for(dataset, own_rows)
    parts = [
        _check_series(bundle, s, scaler, first, step, dataset.path, rule)
        for s, scaler, first in zip(dataset.series, scalers, firsts, strict=True)
        if first is not None
    ]
    frames = [p for p in parts if p is not None]
    if not frames:
        raise UserError(
            _nothing_to_check(dataset, pre, last), where=dataset.path, arguments=("last",)
        )
    return pd.concat(frames, ignore_index=True)


def _check_counts(last: int | None, gap: int | None, threshold: float | None) -> None:
    """Refuse ``last`` under 1, ``gap`` under 0 and a ``threshold`` that is not a tail
    probability, before the bundle is read."""
    if last is not None and last < 1:
        raise UserError(f"{{last}} {last}: give a number of rows, 1 or more", arguments=("last",))
    if gap is not None and gap < 0:
        raise UserError(f"{{gap}} {gap}: give a number of rows, 0 or more", arguments=("gap",))
    if threshold is not None and not 0 < threshold < 0.5:
        raise UserError(
            f"{{threshold}} {threshold:g}: give a tail probability between 0 and 0.5, such "
            "as 0.001",
            arguments=("threshold",),
        )


def _band_levels(bundle: Bundle) -> tuple[float, float]:
    levels = bundle.config.model.quantiles
    if len(levels) < 2:
        raise UserError(
            "detect flags observations outside the model's band, and this model forecasts "
            "points only: retrain it with quantiles, e.g. {overrides} 'model.quantiles=[0.01, "
            "0.5, 0.99]' (the outer pair is the band)",
            where=bundle.run_dir,
            arguments=("overrides",),
        )
    return levels[0], levels[-1]


def _check_series(
    bundle: Bundle,
    series: Series,
    scaler: Scaler,
    first: int,
    step: int,
    where: Path,
    rule: Flagging,
) -> pd.DataFrame | None:
    """The checked rows of one series from row ``first``, or None when none can be.

    A spike would echo: a later window holding it (the seasonal baseline reads the value a
    season back) forecasts wrongly, and a normal observation there gets flagged. So a
    flagged observation whose next one is back inside the band is replaced by its
    forecast in the history of a second pass; a run of flags (a change of level) stays,
    and the forecasts after it follow the new level."""
    pre = bundle.preprocessing
    rows = np.arange(first, len(series))
    origins = rows - (step - 1)
    usable = _usable(pre, series, origins, rows)
    rows, origins = rows[usable], origins[usable]
    if not len(rows):
        return None

    def band(history: Series) -> Forecasts:  # as the bundle serves them
        windows = pre.windows_at(history, scaler, origins, where)
        network = forecast_in_units(bundle.forecaster, windows, [scaler], pre.coding, [len(rows)])
        return pre.served.apply(network, [(history.id, history.values)], [origins])

    forecasts = band(series).step(step)
    flagged = rule.flags(series.values[rows, : pre.n_targets], *_band(forecasts))
    spikes = flagged.any(axis=1) & np.append(rows[1:] == rows[:-1] + 1, False)
    spikes[:-1] &= ~flagged[1:].any(axis=1)
    if spikes.any():
        values = series.values.copy()
        median = forecasts.point[:, 0]
        replaced = np.where(flagged[spikes], median[spikes], values[rows[spikes], : pre.n_targets])
        values[rows[spikes], : pre.n_targets] = replaced
        forecasts = band(dataclasses.replace(series, values=values)).step(step)
    return _rows_frame(pre, series, rows, forecasts, rule)


def _band(forecasts: Forecasts) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point, lower and upper ``(n, n_targets)`` of ``forecasts`` of one step."""
    return forecasts.point[:, 0], forecasts.lower[:, 0], forecasts.upper[:, 0]


def _first_checked(pre: Preprocessing, series: Series, last: int | None) -> int | None:
    """The first row to check: ``last`` rows from the end, or the first after the
    training data (None for a series the model was not trained on, without ``last``)."""
    if last is not None:
        return max(len(series) - last, 0)
    end = pre.last_timestamps.get(series.id)
    if end is None:
        return None
    after = int(series.index.searchsorted(pd.Timestamp(end), side="right"))
    return after if after < len(series) else None


def _usable(
    pre: Preprocessing, series: Series, origins: np.ndarray, rows: np.ndarray
) -> np.ndarray:
    """Bool per checked row: its actual known, a complete lookback before its origin, the
    horizon's rows in the data (with future-known data columns)."""
    lookback = pre.lookback
    complete = np.concatenate([[0], np.cumsum(~series.complete)])
    ok = origins >= lookback
    starts = np.clip(origins - lookback, 0, None)
    ends = np.minimum(starts + lookback, len(series))  # the rows too early are not ok
    ok &= complete[ends] - complete[starts] == 0
    ok &= np.isfinite(series.values[rows, : pre.n_targets]).all(axis=1)
    if pre.future_rows:
        ok &= origins + pre.horizon <= len(series)
    return ok


def _rows_frame(
    pre: Preprocessing, series: Series, rows: np.ndarray, forecasts: Forecasts, rule: Flagging
) -> pd.DataFrame:
    """``forecasts``: one step ahead of each of ``rows``, in original units."""
    targets = pre.columns[: pre.n_targets]
    actuals = series.values[rows, : pre.n_targets]
    beyond = outside_by(actuals, forecasts.lower[:, 0], forecasts.upper[:, 0])
    flagged, tails = rule.judge(actuals, *_band(forecasts))
    frames = []
    for t, target in enumerate(targets):
        actual, outside = series.values[rows, t], beyond[:, t]
        lower, upper = forecasts.lower[:, 0, t], forecasts.upper[:, 0, t]
        width = np.maximum(upper - lower, np.finfo(np.float64).tiny)
        point = forecasts.point[:, 0, t]
        frame = {
            "series": "" if series.id is None else series.id,
            "time": series.index[rows],
            **({"target": target} if len(targets) > 1 else {}),
            "actual": actual,
            "forecast": point,
            "lower": lower,
            "upper": upper,
            "score": outside / width,
            "tail_probability": tails[:, t],
            "anomaly": flagged[:, t],
        }
        frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)


def _nothing_to_check(dataset: Dataset, pre: Preprocessing, last: int | None) -> str:
    if last is not None:
        longest = max(len(s) for s in dataset.series)
        return (
            f"no row of the last {last} has a complete lookback of {pre.lookback} rows before "
            f"it (the longest series has {longest} rows): give each series more rows"
        )
    unseen = pre.unseen(dataset)
    ends = [pd.Timestamp(pre.last_timestamps[s.id]) for s in dataset.series if s.id not in unseen]
    end = show_time(max(ends), dataset.time_format) if ends else ""
    said = f" (the training data ends at {end})" if ends else ""
    names = f"; series not in training ({first_few(unseen)}) need {{last}}" if unseen else ""
    return (
        f"no rows after the model's training data to check{said}: pass newer data, or "
        f"{{last}} N to check each series' last N rows{names}"
    )
