"""data.static_features: one value per series, carried by every window of it."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from lstm_forecast.config import load_config
from lstm_forecast.data import load_dataset
from lstm_forecast.errors import DataError
from lstm_forecast.features import Preprocessing

from .helpers import monthly_frame, run_cli, write_config, write_long_csv


def shops(tmp_path: Path, sizes: dict[str, float], rows: int = 48) -> Path:
    frames = {
        sid: monthly_frame(rows, seed=k).assign(size=size, sales=lambda f, k=k: f.sales * (k + 1))
        for k, (sid, size) in enumerate(sizes.items())
    }
    return write_long_csv(tmp_path / "shops.csv", frames, "shop")


def shops_config(tmp_path: Path, csv: Path, **training: object) -> Path:
    return write_config(
        tmp_path,
        csv,
        data={"id_column": "shop", "static_features": ["size"]},
        training=training,
    )


def test_each_series_gets_its_one_value(tmp_path: Path) -> None:
    config = load_config(shops_config(tmp_path, shops(tmp_path, {"a": 100.0, "b": 300.0})))
    dataset = load_dataset(config.data)
    assert [s.static.tolist() for s in dataset.series] == [[100.0], [300.0]]
    assert dataset.columns == ("sales",)  # not a value column: never predicted or levelled


def test_windows_carry_the_scaled_static_column_and_it_is_not_levelled(tmp_path: Path) -> None:
    config = load_config(shops_config(tmp_path, shops(tmp_path, {"a": 100.0, "b": 300.0})))
    _, prepared = Preprocessing.fit_transform(config, load_dataset(config.data))
    assert prepared.stacked.shape[1] == 2  # sales, then size
    assert prepared.coding.n_levelled == 1
    # Standardised across the series: -1 for a, +1 for b, on every row.
    a, b = prepared.scaled
    np.testing.assert_allclose(a[:, 1], -1.0)
    np.testing.assert_allclose(b[:, 1], 1.0)
    inputs, _ = prepared.windows("train").gather()
    encoded, _, _ = prepared.coding.encode(inputs)
    assert set(np.unique(encoded[:, :, 1])) == {-1.0, 1.0}  # the window norm left it alone


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            "vary",
            r"series 'b': static feature 'size' changes within the series: 300, "
            "then 301 at line 51",
        ),
        ("missing", r"series 'b': static feature 'size' is missing at line 50"),
        ("text", r"column 'size': non-numeric value 'big' at line 50"),
    ],
)
def test_bad_static_values_name_series_column_and_line(
    tmp_path: Path, change: str, message: str
) -> None:
    csv = shops(tmp_path, {"a": 100.0, "b": 300.0})
    frame = pd.read_csv(csv, dtype={"size": object})
    if change == "vary":
        frame.loc[49, "size"] = "301"  # the second row of b: line 51
    elif change == "missing":
        frame.loc[48, "size"] = None
    else:
        frame.loc[48, "size"] = "big"
    frame.to_csv(csv, index=False)
    config = load_config(shops_config(tmp_path, csv))
    with pytest.raises(DataError, match=message):
        load_dataset(config.data)


def test_a_static_feature_cannot_also_be_a_value_column(tmp_path: Path) -> None:
    from lstm_forecast.errors import ConfigError

    csv = shops(tmp_path, {"a": 1.0})
    path = write_config(
        tmp_path, csv, data={"id_column": "shop", "static_features": ["size"], "features": ["size"]}
    )
    with pytest.raises(ConfigError, match="column 'size' is named more than once"):
        load_config(path)


@pytest.mark.slow
def test_train_and_predict_use_the_static_values_of_the_data_given(tmp_path: Path) -> None:

    csv = shops(tmp_path, {"a": 100.0, "b": 300.0, "c": 200.0})
    config = shops_config(tmp_path, csv, epochs=3)
    trained = run_cli(*["train", str(config), "--quiet", "--set", "model.serve=network"])
    assert trained.code == 0, trained.err
    record = json.loads((tmp_path / "run" / "preprocessing.json").read_text())
    assert record["static_features"] == ["size"]
    assert record["static_scaler"]["center"] == [200.0]
    first = run_cli(*["predict", str(tmp_path / "run")])
    assert first.code == 0, first.err
    # The same history with another size for shop a: only a's forecast moves.
    frame = pd.read_csv(csv)
    frame.loc[frame["shop"] == "a", "size"] = 900.0
    moved = tmp_path / "moved.csv"
    frame.to_csv(moved, index=False)
    second = run_cli(*["predict", str(tmp_path / "run"), "--data", str(moved)])
    assert second.code == 0, second.err
    before, after = (pd.read_csv(pd.io.common.StringIO(r.out)) for r in (first, second))
    changed = (before["sales"] != after["sales"]).groupby(before["shop"]).any()
    assert changed.to_dict() == {"a": True, "b": False, "c": False}


@pytest.mark.slow
def test_series_embedding_trains_and_predicts_each_series_by_its_id(tmp_path: Path) -> None:
    """The embedding row of a series comes from the bundle, not from where the series
    sits in the data given to predict."""

    csv = shops(tmp_path, {"a": 100.0, "b": 300.0, "c": 200.0})
    config = write_config(
        tmp_path,
        csv,
        data={"id_column": "shop"},
        model={"series_embedding": 2},
        training={"epochs": 3},
    )
    trained = run_cli(*["train", str(config), "--quiet"])
    assert trained.code == 0, trained.err
    assert (
        json.loads((tmp_path / "run" / "preprocessing.json").read_text())["series_embedding"] == 2
    )
    assert (tmp_path / "run" / "model.onnx").is_file()
    first = run_cli(*["predict", str(tmp_path / "run")])
    assert first.code == 0, first.err
    frame = pd.read_csv(csv)
    reordered = tmp_path / "reordered.csv"
    frame[frame["shop"] != "a"].to_csv(reordered, index=False)  # b first, a gone
    second = run_cli(*["predict", str(tmp_path / "run"), "--data", str(reordered)])
    assert second.code == 0, second.err
    before, after = (pd.read_csv(pd.io.common.StringIO(r.out)) for r in (first, second))
    pd.testing.assert_frame_equal(
        before[before["shop"] != "a"].reset_index(drop=True), after.reset_index(drop=True)
    )
    evaluated = run_cli(*["evaluate", str(tmp_path / "run"), "--data", str(reordered)])
    assert evaluated.code == 0, evaluated.err
