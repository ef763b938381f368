"""Workers that each read a share of the series fit the preprocessing one process fits on
all of them (issue 38, item 2): what is decided across series is pooled, the same on every
worker; each series' own scaler is its own."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from lstm_forecast.config import Config, load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.data.share import Attempt, Share, raised_together
from lstm_forecast.errors import DataError
from lstm_forecast.features import Preprocessing, baselines
from lstm_forecast.features.baselines import CHOICE_WINDOWS
from lstm_forecast.features.pooling import pooled_preprocessing

from .helpers import ThreadWorkers, monthly_frame, run_workers, write_config, write_long_csv

IDS = [f"shop {k}" for k in range(10)]


def shops_config(tmp_path: Path, *sets: str) -> Config:
    frames = {
        sid: monthly_frame(60 + 6 * (k % 3), seed=k).assign(
            sales=lambda f, k=k: f.sales * (k + 1) + 5 * k, size=float(10 + k * k)
        )
        for k, sid in enumerate(IDS)
    }
    csv = write_long_csv(tmp_path / "shops.csv", frames, "shop")
    path = write_config(
        tmp_path,
        csv,
        data={"id_column": "shop", "static_features": ["size"]},
        preprocessing={"window_scale": "std"},
        model={"series_embedding": 2},
    )
    return load_config(path, list(sets))


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize(
    "sets",
    [(), ("preprocessing.log=false", "data.calendar_features=auto", "model.baseline=theta")],
)
def test_every_worker_fits_what_one_process_fits_on_all(
    tmp_path: Path, workers: int, sets: tuple[str, ...]
) -> None:
    config = shops_config(tmp_path, *sets)
    whole, _ = Preprocessing.fit_transform(config, load_dataset(config.data))

    def fit_share(w: ThreadWorkers) -> Preprocessing:
        share = load_dataset(config.data, share=w.share)
        fitted, _ = Preprocessing.fit_transform(config, share, workers=w)
        return fitted

    fitted = run_workers(workers, fit_share)
    for one in fitted:
        coding = one.coding
        assert coding == dataclasses.replace(whole.coding, typical_spread=coding.typical_spread)
        assert coding.typical_spread == pytest.approx(whole.coding.typical_spread, rel=1e-12)
        assert one.calendar_features == whole.calendar_features
        np.testing.assert_allclose(one.static_scaler.center, whole.static_scaler.center)
        np.testing.assert_allclose(one.static_scaler.scale, whole.static_scaler.scale)
        for sid, scaler in one.scalers.items():
            assert scaler.to_json() == whole.scalers[sid].to_json()
    # Worker order: each series' embedding row is its place among every worker's series.
    order = [sid for one in fitted for sid in one.scalers]
    assert sorted(order) == sorted(whole.scalers)
    assert [one.series_index(sid) for one in fitted for sid in one.scalers] == list(range(len(IDS)))
    assert all(
        Share(k, workers).holds(str(sid)) for k, one in enumerate(fitted) for sid in one.scalers
    )


def test_the_baseline_is_chosen_on_the_windows_one_process_would_take(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With fewer choice windows than origins, each series' are taken at the stride of all
    of them, so the shares' windows are one process's."""
    monkeypatch.setattr(baselines, "CHOICE_WINDOWS", 50)
    assert CHOICE_WINDOWS > 50
    config = shops_config(tmp_path, "model.baseline=ses")
    taken: list[np.ndarray] = []
    choose = baselines.choose_baseline

    def recorded(windows: np.ndarray, *args: object) -> object:
        taken.append(np.sort(windows, axis=0))
        return choose(windows, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(baselines, "choose_baseline", recorded)
    Preprocessing.fit_transform(config, load_dataset(config.data))
    run_workers(
        2,
        lambda w: Preprocessing.fit_transform(
            config, load_dataset(config.data, share=w.share), workers=w
        ),
    )
    assert len(taken) == 3 and len(taken[0]) < 60 * len(IDS)
    for pooled_windows in taken[1:]:
        np.testing.assert_array_equal(pooled_windows, taken[0])


def test_the_chief_writes_every_worker_s_series_in_worker_order(tmp_path: Path) -> None:
    config = shops_config(tmp_path, "model.serve=auto")
    whole, _ = Preprocessing.fit_transform(config, load_dataset(config.data))

    def pooled_fit(w: ThreadWorkers) -> tuple[Preprocessing, Preprocessing]:
        share = load_dataset(config.data, share=w.share)
        fitted, _ = Preprocessing.fit_transform(config, share, workers=w)
        return fitted, pooled_preprocessing(fitted, w)

    (_, first), (own, second) = run_workers(2, pooled_fit)
    assert second is own  # the other worker writes nothing: it keeps its own share's
    record = first.to_json()
    ids = [entry["id"] for entry in record["series"]]
    assert sorted(ids) == sorted(IDS)
    owners = [0 if Share(0, 2).holds(sid) else 1 for sid in ids]
    assert owners == sorted(owners)  # worker 0's series, then worker 1's
    again = whole.to_json()
    assert {e["id"]: e for e in record["series"]} == {e["id"]: e for e in again["series"]}
    assert {k: v for k, v in record.items() if k != "series"} == {
        k: v for k, v in again.items() if k not in ("series", "typical_spread")
    } | {"typical_spread": record["typical_spread"]}


def test_a_warm_start_s_workers_each_give_their_own_series_in_the_parent_s_order(
    tmp_path: Path,
) -> None:
    """Every worker carries the parent's series; each series' new last time is its
    worker's, and the order (the embedding's rows) stays the parent's."""
    config = shops_config(tmp_path)
    parent, _ = Preprocessing.fit_transform(config, load_dataset(config.data))

    def carried(w: ThreadWorkers) -> Preprocessing:
        mine = {sid: f"2030-0{w.share.index + 1}-01T00:00:00" for sid in IDS if w.share.holds(sid)}
        own = dataclasses.replace(parent, last_timestamps={**parent.last_timestamps, **mine})
        return pooled_preprocessing(own, w)

    merged = run_workers(2, carried)[0]
    assert list(merged.scalers) == list(parent.scalers)
    assert merged.last_timestamps == {
        sid: f"2030-0{1 if Share(0, 2).holds(sid) else 2}-01T00:00:00" for sid in IDS
    }


def test_a_share_one_worker_refuses_stops_every_worker_with_a_message(tmp_path: Path) -> None:
    """The others would otherwise wait for it at their next gather."""
    frames = {
        sid: monthly_frame(50 if sid == "shop 0" else 72, seed=k) for k, sid in enumerate(IDS)
    }
    csv = write_long_csv(tmp_path / "shops.csv", frames, "shop")
    path = write_config(tmp_path, csv, data={"id_column": "shop", "min_series_length": 60})
    config = load_config(path)
    owner = 0 if Share(0, 2).holds("shop 0") else 1
    raised: dict[int, str] = {}

    def fit_share(w: ThreadWorkers) -> None:
        share = load_dataset(config.data, share=w.share)
        try:
            Preprocessing.fit_transform(config, share, workers=w)
        except DataError as exc:
            raised[w.share.index] = exc.message

    run_workers(2, fit_share)
    assert "series 'shop 0' has 50 rows, fewer than data.min_series_length (60)" in raised[owner]
    assert raised[1 - owner] == (
        "1 other worker stopped on its share of the series (its own message says why)"
    )


def test_a_share_refused_as_read_before_the_workers_join_stops_every_worker(
    tmp_path: Path,
) -> None:
    """``train``'s workers read their shares before they join (``Attempt``); the refusal
    is raised on every worker once they have."""
    frames = {sid: monthly_frame(72, seed=k) for k, sid in enumerate(IDS)}
    frames["shop 0"] = frames["shop 0"].astype({"sales": object})
    frames["shop 0"].loc[5, "sales"] = "n/a?"
    csv = write_long_csv(tmp_path / "shops.csv", frames, "shop")
    config = load_config(write_config(tmp_path, csv, data={"id_column": "shop"}))
    owner = 0 if Share(0, 2).holds("shop 0") else 1
    raised: dict[int, str] = {}

    def read_then_join(w: ThreadWorkers) -> None:
        read = Attempt.of(lambda: load_dataset(config.data, share=w.share))
        assert (read.error is None) is (w.share.index != owner)
        try:
            raised_together(w, read.value)
        except DataError as exc:
            raised[w.share.index] = exc.message

    run_workers(2, read_then_join)
    assert "'n/a?'" in raised[owner] and "sales" in raised[owner]
    assert raised[1 - owner] == (
        "1 other worker stopped on its share of the series (its own message says why)"
    )


def test_an_attempt_keeps_a_result_or_a_user_error_and_lets_any_other_error_through() -> None:
    assert Attempt.of(lambda: 3).value() == 3
    refused = Attempt.of(lambda: refused_read())
    assert isinstance(refused.error, DataError) and refused.result is None
    with pytest.raises(DataError, match="no rows"):
        refused.value()
    with pytest.raises(ZeroDivisionError):
        Attempt.of(lambda: 1 // 0)


def refused_read() -> None:
    raise DataError("no rows")
