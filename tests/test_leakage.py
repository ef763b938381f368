"""Poisoning the test part must change nothing that training sees."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.features import Preprocessing

from .helpers import monthly_frame, write_config, write_csv

TEST_ROWS = 12


def poisoned_pair(tmp_path: Path) -> tuple[Path, Path]:
    clean = monthly_frame(96)
    poisoned = clean.copy()
    poisoned.loc[poisoned.index[-TEST_ROWS:], "sales"] = 1e30
    configs = []
    for name, frame in (("clean", clean), ("poisoned", poisoned)):
        folder = tmp_path / name
        folder.mkdir()
        csv = write_csv(folder / "sales.csv", frame)
        configs.append(
            write_config(
                folder,
                csv,
                split={"validation": 12, "test": TEST_ROWS},
                training={"epochs": 3, "seed": 5},
            )
        )
    return configs[0], configs[1]


def test_scaler_and_training_windows_ignore_the_test_part(tmp_path: Path) -> None:
    clean_cfg, poisoned_cfg = (load_config(p) for p in poisoned_pair(tmp_path))
    _, clean = Preprocessing.fit_transform(clean_cfg, load_dataset(clean_cfg.data))
    _, poisoned = Preprocessing.fit_transform(poisoned_cfg, load_dataset(poisoned_cfg.data))
    np.testing.assert_array_equal(clean.scalers[0].center, poisoned.scalers[0].center)
    np.testing.assert_array_equal(clean.scalers[0].scale, poisoned.scalers[0].scale)
    for part in ("train", "validation"):
        x_clean, y_clean = clean.windows(part).gather()
        x_poisoned, y_poisoned = poisoned.windows(part).gather()
        np.testing.assert_array_equal(x_clean, x_poisoned)
        np.testing.assert_array_equal(y_clean, y_poisoned)


@pytest.mark.slow
def test_trained_weights_ignore_the_test_part(tmp_path: Path) -> None:
    import keras

    import lstm_forecast as lf

    weights = []
    scalers = []
    for path in poisoned_pair(tmp_path):
        config = load_config(path)
        report = lf.train(config)
        model = keras.saving.load_model(report.run_dir / "model.keras", compile=False)
        weights.append(model.get_weights())
        scalers.append(json.loads((report.run_dir / "preprocessing.json").read_text())["series"])
    assert scalers[0] == scalers[1]
    assert len(weights[0]) == len(weights[1])
    for clean, poisoned in zip(*weights, strict=True):
        np.testing.assert_array_equal(clean, poisoned)


def test_log_auto_follows_the_sign_of_the_targets(tmp_path: Path) -> None:
    positive = monthly_frame(72)
    with_zero = positive.copy()
    with_zero.loc[5, "sales"] = 0.0
    logged = []
    for name, frame in (("positive", positive), ("zero", with_zero)):
        folder = tmp_path / name
        folder.mkdir()
        config = load_config(write_config(folder, write_csv(folder / "s.csv", frame)))
        _, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
        logged.append(prepared.scalers[0].n_logged)
    assert logged == [1, 0]
