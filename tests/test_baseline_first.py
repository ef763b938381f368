"""The network starts as its baseline forecast and keeps it unless training beats it on
the validation part: training can only improve on the baseline it was given."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_forecast.bundle.trust import check_keras_archive
from lstm_forecast.config import ModelConfig, TrainingConfig
from lstm_forecast.data.windows import WindowSet
from lstm_forecast.features.coding import WindowCoding

pytestmark = pytest.mark.slow

LOOKBACK, HORIZON, SEASON = 48, 6, 12


def coding(baseline: str = "seasonal_naive", norm: str = "mean") -> WindowCoding:
    return WindowCoding(
        norm,  # type: ignore[arg-type]
        baseline,  # type: ignore[arg-type]
        SEASON,
        lookback=LOOKBACK,
        horizon=HORIZON,
        n_targets=1,
        n_levelled=1,
    )


@pytest.mark.parametrize(
    "options",
    [{"linear_skip": False}, {"quantiles": [0.1, 0.5, 0.9]}, {"fold": True}],
    ids=["point-alone", "quantiles-with-linear-part", "folded-with-linear-part"],
)
def test_an_untrained_network_forecasts_exactly_its_baseline(
    options: dict[str, object], tmp_path: Path
) -> None:
    from lstm_forecast.nn.keras_file import as_forecaster, export_onnx, save_model
    from lstm_forecast.nn.network import build_model

    model = build_model(
        ModelConfig.model_validate(options),
        lookback=LOOKBACK,
        n_inputs=1,
        horizon=HORIZON,
        n_targets=1,
        fold=SEASON if options.get("fold") else 1,
    )
    windows = np.random.default_rng(0).normal(size=(7, LOOKBACK, 1)).astype(np.float32)
    forecast = as_forecaster(model, coding())(windows)
    median = forecast[:, :, 0, forecast.shape[-1] // 2]
    repeated = windows[:, LOOKBACK - SEASON + np.arange(HORIZON) % SEASON, 0]
    np.testing.assert_allclose(median, repeated, atol=1e-6)
    save_model(model, tmp_path / "model.keras")
    check_keras_archive(tmp_path / "model.keras")
    assert export_onnx(model, tmp_path / "model.onnx", windows).shipped


def test_folding_steps_the_recurrent_layers_once_per_season() -> None:
    from lstm_forecast.nn.network import build_model

    def steps(lookback: int, fold: int) -> tuple[int | None, ...]:
        model = build_model(
            ModelConfig(), lookback=lookback, n_inputs=2, horizon=3, n_targets=1, fold=fold
        )
        return tuple(model.get_layer("lstm_1").input.shape[1:])

    assert steps(48, SEASON) == (4, 24)  # 4 seasons of 12 rows x 2 columns
    assert steps(50, SEASON) == (4, 24)  # the 2 oldest rows are dropped
    assert steps(48, 1) == (48, 2)


@pytest.mark.parametrize(
    ("fold", "baseline", "lookback", "rows"),
    [
        ("auto", "seasonal_naive", 48, SEASON),
        ("auto", "naive", 48, 1),  # no strong season to fold by
        ("auto", "seasonal_naive", 20, 1),  # under two seasons
        (True, "naive", 48, SEASON),
        (False, "seasonal_naive", 48, 1),
    ],
)
def test_fold_auto_folds_seasonal_data_with_two_seasons_or_more(
    fold: object, baseline: str, lookback: int, rows: int
) -> None:
    from lstm_forecast.nn.training import fold_for

    window_coding = WindowCoding(
        "mean",
        baseline,
        SEASON,
        lookback=lookback,
        horizon=6,
        n_targets=1,
        n_levelled=1,  # type: ignore[arg-type]
    )
    assert fold_for(ModelConfig(fold=fold), window_coding) == rows  # type: ignore[arg-type]


def test_fold_true_without_two_seasons_in_the_lookback_is_refused() -> None:
    from lstm_forecast.errors import ConfigError
    from lstm_forecast.nn.training import fold_for

    window_coding = WindowCoding(
        "last", "naive", SEASON, lookback=20, horizon=6, n_targets=1, n_levelled=1
    )
    with pytest.raises(ConfigError, match=r"model\.fold: true needs .* window\.lookback 20"):
        fold_for(ModelConfig(fold=True), window_coding)


def step_windows(rise_in_validation: float) -> tuple[WindowSet, WindowSet]:
    """Windows flat over the lookback whose horizon rises by 1 in training, and by
    ``rise_in_validation`` in the validation windows (naive forecasts the flat level)."""

    def windows(rise: float, count: int) -> WindowSet:
        block = np.concatenate([np.zeros(LOOKBACK), np.full(HORIZON, rise)])
        values = np.tile(block, count)[:, None].astype(np.float32)
        starts = np.arange(count) * len(block)
        return WindowSet(values, starts, LOOKBACK, HORIZON, n_targets=1)

    return windows(1.0, 64), windows(rise_in_validation, 16)


@pytest.mark.parametrize(("rise", "kept"), [(0.0, True), (1.0, False)])
def test_training_keeps_the_baseline_when_no_epoch_beats_it_on_validation(
    rise: float, kept: bool
) -> None:
    from lstm_forecast.nn.keras_file import as_forecaster
    from lstm_forecast.nn.network import build_model
    from lstm_forecast.nn.training import fit, seed_everything

    seed_everything(0)
    window_coding = coding("naive", "none")
    model = build_model(
        ModelConfig(layers=[4], dropout=0.0),
        lookback=LOOKBACK,
        n_inputs=1,
        horizon=HORIZON,
        n_targets=1,
    )
    train, validation = step_windows(rise)
    training = TrainingConfig(epochs=3, batch_size=16, learning_rate=0.01, loss="mae")
    result = fit(model, training, train, validation, window_coding)
    inputs, _ = validation.gather()
    forecast = as_forecaster(model, window_coding)(inputs)[:, :, 0, 0]
    if kept:  # training learned the rise, which the validation windows do not have
        assert result.best_epoch == 0
        assert result.best_validation_loss == result.untrained_loss == pytest.approx(0.0)
        np.testing.assert_array_equal(forecast, 0.0)
    else:
        assert result.best_epoch >= 1
        assert result.best_validation_loss < result.untrained_loss
        assert (forecast > 0.1).all()
