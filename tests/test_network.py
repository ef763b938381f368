"""``nn.network``: the networks built from a config, what they output, and the Keras file
they are saved as."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from lstm_forecast.bundle.trust import check_keras_archive
from lstm_forecast.config import ModelConfig
from lstm_forecast.features.coding import WindowCoding
from lstm_forecast.nn.hooks import TrainingHooks

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"cell": "gru", "layers": [8, 4, 4]},
        {"bidirectional": True, "dense": [8, 4]},
        {"layers": [5], "dropout": 0.0, "recurrent_dropout": 0.2},
        {"quantiles": [0.1, 0.5, 0.9]},
    ],
    ids=["default", "gru-3-layers", "bidirectional-dense", "recurrent-dropout", "quantiles"],
)
def test_builder_shapes_and_its_archive_passes_the_allowlist(
    options: dict[str, object], tmp_path: Path
) -> None:
    from lstm_forecast.nn.keras_file import as_forecaster, save_model
    from lstm_forecast.nn.network import build_model

    model = build_model(
        ModelConfig.model_validate(options), lookback=10, n_inputs=3, horizon=4, n_targets=2
    )
    assert model.input_shape == (None, 10, 3)
    quantiles = len(options.get("quantiles", []))  # type: ignore[arg-type]
    assert model.output_shape == ((None, 4, 2, quantiles) if quantiles else (None, 4, 2))
    coding = WindowCoding(
        "last",
        "seasonal_naive",
        4,
        lookback=10,
        horizon=4,
        n_targets=2,
        n_levelled=3,
        quantile_levels=tuple(options.get("quantiles", [])),  # type: ignore[arg-type]
    )
    forecast = as_forecaster(model, coding)(np.zeros((5, 10, 3), dtype=np.float32))
    assert forecast.shape == (5, 4, 2, max(quantiles, 1)) and np.isfinite(forecast).all()
    save_model(model, tmp_path / "model.keras")
    check_keras_archive(tmp_path / "model.keras")  # raises if anything is off the allowlist


def test_quantiles_never_cross_before_or_after_training_and_loading(tmp_path: Path) -> None:
    import keras

    from lstm_forecast.nn.keras_file import save_model
    from lstm_forecast.nn.network import build_model, quantile_sums
    from lstm_forecast.nn.training import pinball_loss

    levels = [0.05, 0.1, 0.5, 0.8, 0.95]
    model = build_model(
        ModelConfig(quantiles=levels), lookback=6, n_inputs=2, horizon=3, n_targets=2
    )
    rng = np.random.default_rng(3)
    inputs = rng.normal(scale=50.0, size=(64, 6, 2)).astype(np.float32)
    # Targets whose spread the network cannot learn from 64 windows: free quantile
    # outputs cross here.
    targets = rng.standard_cauchy(size=(64, 3, 2)).astype(np.float32)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=pinball_loss(levels))
    before = model.get_layer("steps").get_weights()[0]
    np.testing.assert_array_equal(before, quantile_sums(levels))
    model.fit(inputs, targets, epochs=5, batch_size=16, verbose=0)
    np.testing.assert_array_equal(model.get_layer("steps").get_weights()[0], before)
    save_model(model, tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras", safe_mode=True, compile=False)
    for network in (model, loaded):
        outputs = np.asarray(network(inputs, training=False))
        assert outputs.shape == (64, 3, 2, 5)
        assert (np.diff(outputs, axis=-1) >= 0).all()
    np.testing.assert_allclose(
        np.asarray(loaded(inputs, training=False)), np.asarray(model(inputs, training=False))
    )


def test_default_layers_keep_the_fused_kernel_eligible() -> None:
    from lstm_forecast.nn.network import build_model

    model = build_model(ModelConfig(), lookback=10, n_inputs=1, horizon=2, n_targets=1)
    for layer in model.layers:
        if type(layer).__name__ == "LSTM":
            config = layer.get_config()
            assert config["activation"] == "tanh"
            assert config["recurrent_activation"] == "sigmoid"
            assert config["recurrent_dropout"] == 0.0
            assert config["unroll"] is False and config["use_bias"] is True


def test_an_ensemble_averages_its_members_and_passes_the_allowlist(tmp_path: Path) -> None:
    from lstm_forecast.nn.keras_file import save_model
    from lstm_forecast.nn.network import average, build_model

    members = [
        build_model(ModelConfig(layers=[3]), lookback=6, n_inputs=1, horizon=2, n_targets=1)
        for _ in range(3)
    ]
    ensemble = average(members)
    x = np.random.default_rng(0).normal(size=(4, 6, 1)).astype(np.float32)
    expected = np.mean([np.asarray(m(x, training=False)) for m in members], axis=0)
    np.testing.assert_allclose(np.asarray(ensemble(x, training=False)), expected, rtol=1e-5)
    save_model(ensemble, tmp_path / "model.keras")
    check_keras_archive(tmp_path / "model.keras")


def batch_counter() -> Any:
    """A Keras callback counting the training batches of each epoch (``per_epoch``)."""
    import keras

    class CountBatches(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.per_epoch: list[int] = []

        def on_epoch_begin(self, epoch: int, logs: object = None) -> None:
            self.per_epoch.append(0)

        def on_train_batch_end(self, batch: int, logs: object = None) -> None:
            self.per_epoch[-1] += 1

    return CountBatches()


def test_steps_per_epoch_draws_that_many_batches_each_epoch(sales_config: Path) -> None:

    from lstm_forecast.config import load_config
    from lstm_forecast.data import load_dataset
    from lstm_forecast.features import Preprocessing
    from lstm_forecast.nn.training import train_network

    config = load_config(
        sales_config,
        [
            "training.steps_per_epoch=3",
            "training.epochs=4",
            "training.batch_size=4",
            "training.early_stopping_patience=10",
        ],
    )
    _, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    train = prepared.windows("train")
    assert len(train) > 3 * 4  # one pass would be more batches than 3

    counter = batch_counter()
    trained = train_network(
        config,
        prepared,
        train,
        prepared.windows("validation"),
        hooks=TrainingHooks(callbacks=[counter]),
    )
    assert counter.per_epoch == [3, 3, 3, 3]
    assert len(trained.members[0].history["loss"]) == 4


def test_a_one_pass_epoch_trains_on_every_window_once_and_validates_on_every_one(
    sales_config: Path,
) -> None:
    """Training reads endless datasets with a count of batches per epoch (Keras keeps one
    iterator): an epoch must still be one pass over the training windows, and the
    validation loss the mean over every validation window, each counted once."""

    from lstm_forecast.config import load_config
    from lstm_forecast.data import load_dataset
    from lstm_forecast.features import Preprocessing
    from lstm_forecast.nn.batches import window_dataset
    from lstm_forecast.nn.training import train_network

    config = load_config(
        sales_config,
        [
            "training.epochs=3",
            "training.batch_size=8",
            "model.linear_skip=false",
            "split.validation=0.35",
        ],
    )
    _, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    train, validation = prepared.windows("train"), prepared.windows("validation")
    assert len(train) % 8 and len(validation) % 8  # a short last batch in each pass

    counter = batch_counter()
    trained = train_network(
        config, prepared, train, validation, hooks=TrainingHooks(callbacks=[counter])
    )
    assert counter.per_epoch == [-(-len(train) // 8)] * 3
    history = trained.members[0].history
    best = trained.members[0].best_epoch
    batches = list(window_dataset(validation, prepared.coding, 8).as_numpy_iterator())
    errors = [np.abs(np.asarray(trained.model(x, training=False)) - y) for x, y in batches]
    every_window = float(np.mean(np.concatenate([e.reshape(len(e), -1) for e in errors])))
    assert history["val_loss"][best - 1] == pytest.approx(every_window, rel=1e-4)


def test_series_embedding_reads_the_index_column_of_the_last_row_only(tmp_path: Path) -> None:
    from lstm_forecast.nn.keras_file import export_onnx, save_model
    from lstm_forecast.nn.network import build_model

    model = build_model(
        ModelConfig(series_embedding=3, layers=[8]),
        lookback=6,
        n_inputs=3,
        horizon=2,
        n_targets=1,
        n_series=5,
    )
    rng = np.random.default_rng(0)
    head = model.get_layer("forecast")  # starts at zero: give it weights that show the inputs
    head.set_weights([rng.normal(size=w.shape) for w in head.get_weights()])
    inputs = rng.normal(size=(10, 6, 3)).astype(np.float32)
    inputs[:, :, -1] = (np.arange(10) % 5)[:, None]  # the series index, on every row
    outputs = np.asarray(model(inputs))
    elsewhere = inputs.copy()
    elsewhere[:, :-1, -1] = 99.0  # the column is not an input of the recurrent layers
    np.testing.assert_array_equal(np.asarray(model(elsewhere)), outputs)
    other = inputs.copy()
    other[:, -1, -1] = (other[:, -1, -1] + 1) % 5  # another series' vector
    assert not np.allclose(np.asarray(model(other)), outputs)
    save_model(model, tmp_path / "model.keras")
    check_keras_archive(tmp_path / "model.keras")
    assert export_onnx(model, tmp_path / "model.onnx", inputs).shipped
