"""The network starts as its baseline forecast (its heads start at zero), and folds a
seasonal window into one recurrent step per season."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lstm_forecast.bundle.trust import check_keras_archive
from lstm_forecast.config import ModelConfig
from lstm_forecast.features.coding import WindowCoding

pytestmark = pytest.mark.slow

LOOKBACK, HORIZON, SEASON = 48, 6, 12


def coding(
    baseline: str = "seasonal_naive", norm: str = "mean", quantiles: tuple[float, ...] = ()
) -> WindowCoding:
    return WindowCoding(
        norm,  # type: ignore[arg-type]
        baseline,  # type: ignore[arg-type]
        SEASON,
        lookback=LOOKBACK,
        horizon=HORIZON,
        n_targets=1,
        n_levelled=1,
        quantile_levels=quantiles,
    )


@pytest.mark.parametrize(
    "options",
    [{}, {"quantiles": [0.1, 0.5, 0.9], "skip": True}, {"fold": True, "skip": True}],
    ids=["point-alone", "quantiles-with-linear-part", "folded-with-linear-part"],
)
def test_an_untrained_network_forecasts_exactly_its_baseline(
    options: dict[str, object], tmp_path: Path
) -> None:
    from lstm_forecast.nn.keras_file import as_forecaster, export_onnx, save_model
    from lstm_forecast.nn.network import build_model

    options = dict(options)
    skip = bool(options.pop("skip", False))
    model = build_model(
        ModelConfig.model_validate(options),
        lookback=LOOKBACK,
        n_inputs=1,
        horizon=HORIZON,
        n_targets=1,
        fold=SEASON if options.get("fold") else 1,
        linear_skip=skip,
    )
    windows = np.random.default_rng(0).normal(size=(7, LOOKBACK, 1)).astype(np.float32)
    levels = tuple(options.get("quantiles", []))  # type: ignore[arg-type]
    forecast = as_forecaster(model, coding(quantiles=levels))(windows)
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
        ("auto", "seasonal_naive", 20, 1),  # under two seasons, and short
        # No strong season to fold by: a window of 48 rows or more is read in patches of
        # lookback // 24 rows (24 to 47 recurrent steps).
        ("auto", "naive", 47, 1),
        ("auto", "naive", 48, 2),
        ("auto", "naive", 96, 4),
        ("auto", "naive", 120, 5),
        (True, "naive", 48, SEASON),
        (False, "seasonal_naive", 48, 1),
        (False, "naive", 96, 1),
    ],
)
def test_fold_auto_folds_by_season_or_in_patches_of_a_long_window(
    fold: object, baseline: str, lookback: int, rows: int
) -> None:
    from lstm_forecast.nn.network import fold_for

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
    from lstm_forecast.nn.network import fold_for

    window_coding = WindowCoding(
        "last", "naive", SEASON, lookback=20, horizon=6, n_targets=1, n_levelled=1
    )
    with pytest.raises(ConfigError, match=r"model\.fold: true needs .* window\.lookback 20"):
        fold_for(ModelConfig(fold=True), window_coding)


def test_an_auto_epoch_is_one_pass_or_10000_windows_and_the_log_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from lstm_forecast.config import TrainingConfig
    from lstm_forecast.nn.epochs import epoch_steps

    auto = TrainingConfig()
    assert auto.steps_per_epoch == "auto"
    with caplog.at_level("INFO", logger="lstm_forecast"):
        assert epoch_steps(auto, 10_000, 32) is None  # one pass
        assert not caplog.messages
        assert epoch_steps(auto, 264_490, 32) == 313  # ceil(10,000 / 32)
    (message,) = caplog.messages
    assert "313 batches of 32 drawn at random from the 264,490 training windows" in message
    assert epoch_steps(auto, 264_490, 128) == 79
    assert epoch_steps(TrainingConfig(steps_per_epoch=None), 264_490, 32) is None
    assert epoch_steps(TrainingConfig(steps_per_epoch=7), 100, 32) == 7


def test_an_auto_batch_grows_only_past_an_auto_epoch_and_the_log_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    from lstm_forecast.config import TrainingConfig
    from lstm_forecast.nn.epochs import AUTO_EPOCH_WINDOWS, batch_size_for

    auto = TrainingConfig()
    assert auto.batch_size == "auto"
    with caplog.at_level("INFO", logger="lstm_forecast"):
        assert batch_size_for(auto, 7) == 32
        assert batch_size_for(auto, AUTO_EPOCH_WINDOWS) == 32
        assert not caplog.messages
        assert batch_size_for(auto, AUTO_EPOCH_WINDOWS + 1) == 128
    (message,) = caplog.messages
    assert "batches of 128 windows" in message and "10,000 training windows" in message
    # A number is kept whatever the data.
    assert batch_size_for(TrainingConfig(batch_size=16), 264_490) == 16
    assert batch_size_for(TrainingConfig(batch_size=512), 7) == 512


def test_linear_skip_auto_is_penalised_below_ten_windows_per_input() -> None:
    from lstm_forecast.nn.network import SKIP_PENALTY, skip_for, skip_penalty_for

    window_coding = coding()  # lookback 48, one target: 48 inputs
    assert skip_for(ModelConfig()) and skip_for(ModelConfig(linear_skip=True))
    assert not skip_for(ModelConfig(linear_skip=False))
    assert skip_penalty_for(ModelConfig(), window_coding, 480) == 0.0  # ten per input
    assert skip_penalty_for(ModelConfig(), window_coding, 479) == SKIP_PENALTY * 48 / 479
    penalties = [skip_penalty_for(ModelConfig(), window_coding, n) for n in (20, 100, 400)]
    assert penalties == sorted(penalties, reverse=True)
    assert skip_penalty_for(ModelConfig(linear_skip=True), window_coding, 20) == 0.0


def test_the_penalty_is_on_the_linear_map_only() -> None:
    from lstm_forecast.nn.network import build_model

    model = build_model(
        ModelConfig(layers=[4]),
        lookback=12,
        n_inputs=1,
        horizon=3,
        n_targets=1,
        linear_skip=True,
        skip_penalty=0.25,
    )
    assert model.get_layer("linear").kernel_regularizer.l2 == pytest.approx(0.25)
    assert model.get_layer("forecast").kernel_regularizer is None
