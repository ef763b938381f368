"""``lstm-forecast init``: a commented config from a data file, which trains unedited."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from lstm_forecast.data.survey import FileCaps, survey_file
from lstm_forecast.errors import DataError
from lstm_forecast.workflows.init_plan import MIN_TRAIN_WINDOWS, plan_windows
from lstm_forecast.workflows.init_text import run_name

from .helpers import (
    DATA,
    TINY,
    assert_one_line_error,
    monthly_frame,
    run_cli,
    run_process,
    write_long_csv,
)

CAPS = FileCaps(max_file_mb=100, max_rows=1_000_000)


def _series(n: int, seed: int, season: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.1 * t + 10 * np.sin(2 * np.pi * t / season) + rng.normal(0, 1, n)


def _long_format(path: Path) -> Path:
    """Eight monthly series with unequal starts, ids as text, one after another."""
    frames = []
    for k in range(8):
        n = 90 + 15 * k
        times = pd.date_range("2000-01-01", periods=n, freq="MS") + pd.DateOffset(months=40 - 5 * k)
        frames.append(
            pd.DataFrame(
                {"region": f"r{k}", "month": times.strftime("%Y-%m"), "sales": _series(n, k)}
            )
        )
    pd.concat(frames).to_csv(path, index=False)
    return path


def _gaps(path: Path) -> Path:
    """Daily values with missing days and empty cells."""
    times = pd.date_range("2020-01-01", periods=400, freq="D")
    frame = pd.DataFrame({"day": times.strftime("%Y-%m-%d"), "load": _series(400, 1, 7)})
    frame.loc[[50, 51, 200], "load"] = np.nan
    frame.drop(index=[100, 101, 300]).to_csv(path, index=False)
    return path


def _annual(path: Path) -> Path:
    frame = pd.DataFrame({"year": np.arange(1900, 2000), "gdp": _series(100, 2, 1) + 50})
    frame.to_csv(path, index=False)
    return path


def _hourly(path: Path) -> Path:
    """Hourly with a daily cycle, a text column and an empty one, spaces in the header."""
    times = pd.date_range("2024-01-01", periods=24 * 21, freq="h")
    frame = pd.DataFrame(
        {
            "timestamp": times.strftime("%Y-%m-%d %H:%M"),
            "host": "web-1",
            "cpu": _series(len(times), 3, 24),
            "notes": "",
        }
    )
    path.write_text(
        frame.to_csv(index=False).replace("timestamp,host,cpu,notes", "timestamp, host, cpu ,notes")
    )
    return path


def _weekly_parquet(path: Path) -> Path:
    times = pd.date_range("2015-01-04", periods=300, freq="W-SUN")
    pd.DataFrame({"week": times, "units": _series(300, 4, 52)}).to_parquet(path)
    return path


GENERATED = {
    "long.csv": _long_format,
    "gaps.csv": _gaps,
    "annual.csv": _annual,
    "hourly.csv": _hourly,
    "weekly.parquet": _weekly_parquet,
}
SHIPPED = ["airline.csv", "seattle_weather.csv", "stocks.csv", "sunspots.csv"]


def _init_then_train(data: Path, folder: Path) -> dict:
    config = folder / "configs" / f"{data.stem}.yaml"
    ran = run_cli("init", data, "--output", config)
    assert ran.code == 0, ran.err
    assert f"next: lstm-forecast train {config}" in ran.out
    assert run_cli("validate", config).code == 0
    # The network shrunk only to keep the suite quick: the draft itself is unedited.
    trained = run_cli("train", config, "--quiet", *(f"--set={o}" for o in TINY))
    assert trained.code == 0, trained.err
    return yaml.safe_load(config.read_text())


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_init_then_train_each_shipped_file(name: str, tmp_path: Path) -> None:
    _init_then_train(DATA / name, tmp_path)
    assert (tmp_path / "configs" / "runs" / Path(name).stem / "manifest.json").is_file()


@pytest.mark.slow
@pytest.mark.parametrize("name", GENERATED)
def test_init_then_train_generated_shapes(name: str, tmp_path: Path) -> None:
    data = GENERATED[name](tmp_path / name)
    drafted = _init_then_train(data, tmp_path)
    expected = {
        "long.csv": {"id_column": "region", "freq": "MS", "target": "sales"},
        "gaps.csv": {"missing": "interpolate", "freq": "D", "time_column": "day"},
        "annual.csv": {"freq": "YS-JAN", "time_column": "year", "target": "gdp"},
        "hourly.csv": {"freq": "h", "time_column": "timestamp", "target": "cpu"},
        "weekly.parquet": {"freq": "W-SUN", "time_column": "week"},
    }[name]
    assert expected.items() <= drafted["data"].items()


def test_each_choice_has_its_reason_and_what_init_could_not_decide(tmp_path: Path) -> None:
    config = tmp_path / "seattle.yaml"
    assert run_cli("init", DATA / "seattle_weather.csv", "-o", config).code == 0
    text = config.read_text()
    lines = text.splitlines()
    for key in ("time_column", "target", "freq", "lookback", "horizon", "validation", "test"):
        (at,) = [i for i, line in enumerate(lines) if line.strip().startswith(f"{key}:")]
        while not lines[at - 1].lstrip().startswith("#") and not lines[at - 1].endswith(":"):
            at -= 1  # keys explained together (validation and test) share their comment
        assert lines[at - 1].lstrip().startswith("#"), key
    assert "init could not tell which numeric column you forecast" in text
    assert '# features: ["temp_max", "temp_min", "wind"]' in text
    assert "# future_features: []" in text  # known-ahead columns, said where they go
    assert 'Left out, not numbers: "weather"' in text
    # temp_max reaches 0 and below: no logs, so nothing to say about them.
    assert "preprocessing:" not in text


def test_init_says_the_log_it_will_take_and_what_a_zero_then_does(tmp_path: Path) -> None:
    config = tmp_path / "airline.yaml"
    assert run_cli("init", DATA / "airline.csv", "-o", config).code == 0
    text = config.read_text()
    assert "# Every target value is positive: the network works in logs" in text
    assert "# A value <= 0 in later data is read as half the smallest training value" in text
    assert "preprocessing:\n" in text and "  log: auto\n" in text


def test_target_option_picks_the_column(tmp_path: Path) -> None:
    config = tmp_path / "seattle.yaml"
    assert (
        run_cli("init", DATA / "seattle_weather.csv", "-o", config, "--target", "temp_max").code
        == 0
    )
    assert yaml.safe_load(config.read_text())["data"]["target"] == "temp_max"
    ran = run_cli(
        "init", DATA / "seattle_weather.csv", "-o", tmp_path / "b.yaml", "--target", "weather"
    )
    assert ran.code == 2
    assert "--target 'weather' is not a numeric column" in ran.err
    assert "'temp_max'" in ran.err
    assert not (tmp_path / "b.yaml").exists()


def test_never_overwrites_a_file(tmp_path: Path) -> None:
    config = tmp_path / "airline.yaml"
    config.write_text("mine\n")
    ran = run_process("init", DATA / "airline.csv", "--output", config)
    assert ran.code == 2
    assert "exists; init never overwrites a file" in ran.err
    assert config.read_text() == "mine\n"


def test_a_file_without_times_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    ran = run_process("init", data, "--output", tmp_path / "x.yaml")
    assert ran.code == 2
    assert "no column reads as times" in ran.err
    assert "'a', 'b'" in ran.err
    assert not (tmp_path / "x.yaml").exists()


def test_repeated_times_without_a_series_column_are_refused(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text("month,sales\n2020-01,1\n2020-01,2\n2020-02,3\n")
    with pytest.raises(DataError, match="repeats times and no column tells the series apart"):
        survey_file(data, CAPS)


def test_survey_tells_roles_apart(tmp_path: Path) -> None:
    data = _long_format(tmp_path / "long.csv")
    survey = survey_file(data, CAPS)
    assert (survey.time_column, survey.id_column, survey.numeric) == ("month", "region", ("sales",))
    hourly = survey_file(_hourly(tmp_path / "h.csv"), CAPS)
    assert hourly.text == ("host",)
    assert hourly.empty == ("notes",)
    assert hourly.numeric == ("cpu",)


def test_a_number_column_is_a_time_only_by_its_name(tmp_path: Path) -> None:
    data = tmp_path / "x.csv"
    data.write_text("year,sales\n" + "".join(f"{1990 + i},{1000 + i}\n" for i in range(40)))
    survey = survey_file(data, CAPS)
    assert (survey.time_column, survey.numeric) == ("year", ("sales",))


@pytest.mark.parametrize("length", [60, 68, 123, 144, 400, 2820, 8760])
@pytest.mark.parametrize("season", [1, 4, 7, 12, 24, 52])
def test_plans_fit_the_series_they_were_made_for(length: int, season: int) -> None:
    plan = plan_windows([length], season)
    train_rows = length - plan.validation - plan.test
    assert train_rows - plan.lookback - plan.horizon + 1 >= MIN_TRAIN_WINDOWS
    assert plan.validation >= plan.horizon and plan.test >= plan.horizon
    assert plan.lookback >= plan.horizon


def test_plan_prefers_skipping_a_few_short_series_to_shrinking_the_horizon() -> None:
    plan = plan_windows([30] + [200] * 20, 12)
    assert plan.horizon == 12 and plan.too_short == 1
    alone = plan_windows([30], 12)
    assert alone.horizon < 12 and alone.too_short == 0


def test_a_series_too_short_for_any_plan_is_refused() -> None:
    with pytest.raises(DataError, match="too few for a window"):
        plan_windows([10], 12)


def test_one_short_series_among_long_ones_is_named_not_the_longest() -> None:
    with pytest.raises(DataError) as refused:
        plan_windows([203, 10, 190], 12, ["north", "tiny", "south"])
    message = str(refused.value)
    assert message.startswith("series 'tiny' has 10 rows (the longest 203): too few for")
    assert "remove the short series from the file, or forecast them apart" in message


def test_init_names_the_short_series_of_a_long_file(tmp_path: Path) -> None:
    frames = {"north": monthly_frame(203), "tiny": monthly_frame(10), "south": monthly_frame(190)}
    data = write_long_csv(tmp_path / "stores.csv", frames, "store")
    code, _, err = run_cli("init", data, "-o", tmp_path / "stores.yaml")
    assert_one_line_error(code, err, 2, "series 'tiny' has 10 rows (the longest 203)")
    assert not (tmp_path / "stores.yaml").exists()


@given(st.text(max_size=30))
def test_any_file_name_gives_a_valid_run_name(stem: str) -> None:
    name = run_name(stem)
    assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", name), name


def test_init_on_a_file_name_with_spaces_and_accents_drafts_a_valid_name(tmp_path: Path) -> None:
    data = tmp_path / "ventes données 2024.csv"
    monthly_frame(60).to_csv(data, index=False)
    config = tmp_path / "ventes données 2024.yaml"
    ran = run_process("init", data, "--output", config)
    assert ran.code == 0, ran.err
    assert yaml.safe_load(config.read_text())["name"] == "ventes_donnees_2024"
    assert run_cli("validate", config).code == 0
