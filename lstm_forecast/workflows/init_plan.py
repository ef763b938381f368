"""The window and split ``init`` proposes: the longest that leave every series (or as
many as can be) enough training windows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..config import WindowConfig
from ..config.schema import SplitConfig
from ..data.split import split_bounds, split_fits
from ..errors import DataError, first_few

# (horizon, lookback) by season length: a season ahead from a few seasons of history,
# M4's horizons where a season is too long to forecast at once (weekly, quarterly).
_PLANS = {
    24: (24, 168),  # hourly: a day ahead from a week (daily and weekly cycles)
    48: (48, 336),  # half-hourly: likewise
    7: (7, 28),  # daily: a week ahead from four
    12: (12, 24),  # monthly: a year ahead from two
    4: (8, 16),  # quarterly: two years ahead from four
    52: (13, 52),  # weekly: a quarter ahead from a year
}
_PLAN_WITHOUT_SEASON = (6, 24)  # annual and other steps: M4's yearly horizon
# Fewest training windows per series a draft leaves: fewer and the network has nothing
# to learn from.
MIN_TRAIN_WINDOWS = 20
# The validation part: two horizons, or this share of the shortest series if longer (more
# windows make early stopping's choice less noisy).
_VALIDATION_SHARE = 0.1
# Series a draft may leave too short to train on before it shortens the horizon for them.
MAX_SKIPPED_SHARE = 0.1


@dataclass(frozen=True)
class Plan:
    """The window and split of a draft, and the series length they were fit to."""

    lookback: int
    horizon: int
    validation: int
    test: int
    fitted_to: int  # rows of the series the plan was fit to (the shortest that fits)
    too_short: int  # series shorter than that, which train will skip


def plan_windows(lengths: list[int], season: int, names: Sequence[str] = ()) -> Plan:
    """The longest window and split, in that order of preference, that leave the shortest
    series ``MIN_TRAIN_WINDOWS`` training windows. Before the horizon is shortened, up to
    ``MAX_SKIPPED_SHARE`` of the series may be left too short (train skips them, saying so).
    ``names``: the series' ids (long format), for the refusal to name the short ones.
    """
    horizon, lookback = _PLANS.get(season, _PLAN_WITHOUT_SEASON)
    ordered = sorted(lengths)
    fitted_to = sorted({ordered[0], ordered[int(MAX_SKIPPED_SHARE * (len(ordered) - 1))]})
    while horizon >= 1:
        for length in fitted_to:
            for plan in _candidates(horizon, lookback, length):
                if _fits(plan, length):
                    too_short = sum(n < length for n in lengths)
                    return Plan(*plan, fitted_to=length, too_short=too_short)
        lookback, horizon = max(lookback // 2, 1), horizon // 2
    needs = f"a window, a validation and a test part and {MIN_TRAIN_WINDOWS} training windows"
    if len(lengths) > 1 and _fits((1, 1, 1, 1), max(lengths)):
        short = [name for name, n in zip(names, lengths, strict=True) if n == min(lengths)]
        which = f"series {first_few(short)}" if short else "the shortest series"
        raise DataError(
            f"{which} has {min(lengths)} rows (the longest {max(lengths)}): too few for "
            f"{needs}, and init fits the window to the shortest series, leaving out at most "
            f"{MAX_SKIPPED_SHARE:.0%} of them; remove the short series from the file, or "
            "forecast them apart"
        )
    raise DataError(
        f"the longest series has {max(lengths)} rows: too few for {needs}; a forecasting "
        "network needs a longer history"
    )


def _fits(plan: tuple[int, int, int, int], length: int) -> bool:
    window = WindowConfig(lookback=plan[0], horizon=plan[1])
    bounds = split_bounds(length, SplitConfig(validation=plan[2], test=plan[3]), plan[1])
    train_windows = bounds.train_end - window.lookback - window.horizon + 1
    return split_fits(bounds, window) and train_windows >= MIN_TRAIN_WINDOWS


def _candidates(horizon: int, lookback: int, length: int) -> list[tuple[int, int, int, int]]:
    """(lookback, horizon, validation, test) at ``horizon``, best first: the test part
    shrinks first (two horizons, then one), then the validation part, then the lookback
    (halved, down to the horizon)."""
    validation = max(2 * horizon, round(_VALIDATION_SHARE * length))
    parts = [(validation, 2 * horizon), (validation, horizon), (horizon, horizon)]
    plans = []
    steps = lookback
    while True:
        plans += [(steps, horizon, v, t) for v, t in parts]
        if steps <= horizon:
            return plans
        steps = max(steps // 2, horizon)
