"""Series the model has not seen: a global model without a series embedding forecasts
them from their own history (scaled by their own rows), says which they are, and evaluate
scores them apart; ``--strict-series`` and a model with an embedding refuse them."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from .helpers import run_cli, run_process, sets, write_config, write_csv

pytestmark = pytest.mark.slow

N_TRAINED, N_NEW = 20, 5


def _stores(ids: range, seed: int) -> pd.DataFrame:
    """Monthly sales of related stores: their own level and trend, a shared yearly shape."""
    rng = np.random.default_rng(seed)
    months = pd.date_range("2010-01-01", periods=120, freq="MS")
    t = np.arange(len(months))
    season = np.sin(2 * np.pi * t / 12) + 0.5 * np.cos(4 * np.pi * t / 12)
    frames = []
    for k in ids:
        level = rng.uniform(50, 500)
        values = level * (1 + 0.002 * t + 0.15 * season + rng.normal(0, 0.02, len(t)))
        frames.append(
            pd.DataFrame({"store": f"s{k:02d}", "month": months.strftime("%Y-%m"), "sales": values})
        )
    return pd.concat(frames)


@pytest.fixture(scope="module")
def stores(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A bundle trained on 20 stores, and a file of 5 other stores."""
    folder = tmp_path_factory.mktemp("stores")
    trained = write_csv(folder / "trained.csv", _stores(range(N_TRAINED), seed=1))
    config = write_config(
        folder,
        trained,
        data={"id_column": "store"},
        window={"lookback": 24, "horizon": 12},
        split={"validation": 12, "test": 24},
        model={"layers": [16]},
        training={"epochs": 15, "early_stopping_patience": 5, "batch_size": 32},
    )
    ran = run_cli("train", config, "--quiet")
    assert ran.code == 0, ran.err
    new = range(N_TRAINED, N_TRAINED + N_NEW)
    return folder / "run", write_csv(folder / "new.csv", _stores(new, seed=2))


def test_new_series_are_forecast_from_their_own_history_and_named(
    stores: tuple[Path, Path],
) -> None:
    run_dir, new = stores
    ran = run_cli("predict", run_dir, "--data", new)
    assert ran.code == 0, ran.err
    forecast = pd.read_csv(io.StringIO(ran.out))
    assert sorted(forecast["store"].unique()) == [f"s{k:02d}" for k in range(20, 25)]
    assert len(forecast) == N_NEW * 12 and np.isfinite(forecast["sales"]).all()
    assert "5 series not in the model's training data, each forecast from its own" in ran.err
    assert "'s20', 's21', 's22', 's23', 's24'" in ran.err
    # Each forecast continues its own store's level, not some other store's.
    history = pd.read_csv(new).groupby("store")["sales"].apply(lambda v: v.iloc[-12:].mean())
    ratio = forecast.groupby("store")["sales"].mean() / history
    assert ratio.between(0.8, 1.25).all(), ratio


def test_evaluate_scores_unseen_series_apart_and_they_beat_seasonal_naive(
    stores: tuple[Path, Path],
) -> None:
    run_dir, new = stores
    ran = run_cli("evaluate", run_dir, "--data", new)
    assert ran.code == 0, ran.err
    (line,) = [x for x in ran.out.splitlines() if "not in training" in x]
    assert line.startswith("5 series not in training (own scaling): mean MASE model ")
    mase = dict(
        (name.strip(), float(value))
        for name, value in (part.rsplit(" ", 1) for part in line.split("mean MASE ")[1].split(", "))
    )
    assert mase["model"] < mase["seasonal_naive"], line


def test_strict_series_refuses_them(stores: tuple[Path, Path]) -> None:
    run_dir, new = stores
    ran = run_process("predict", run_dir, "--data", new, "--strict-series")
    assert ran.code == 2
    assert "5 series ('s20', 's21', 's22', 's23', 's24') were not in the model's" in ran.err
    assert "--strict-series refuses series the model was not trained on" in ran.err


def test_a_model_with_a_series_embedding_refuses_them(
    stores: tuple[Path, Path], tmp_path: Path
) -> None:
    run_dir, new = stores
    config = run_dir.parent / "config.yaml"
    out = tmp_path / "embedded"
    ran = run_cli(
        "train",
        config,
        "--quiet",
        *sets("model.series_embedding=2", "training.epochs=1", f"output.dir={out}"),
    )
    assert ran.code == 0, ran.err
    refused = run_cli("predict", out, "--data", new)
    assert refused.code == 2
    assert "a model with a series embedding (model.series_embedding)" in refused.err
