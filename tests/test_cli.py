"""The command line: exit codes, one-line errors, nothing written on bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from lstm_forecast.cli.app import COMMANDS, cli

from .helpers import (
    CONFIGS,
    assert_one_line_error,
    hide_module,
    monthly_frame,
    run_cli,
    run_process,
    run_python,
    write_config,
    write_csv,
)


def test_validate_prints_a_summary(sales_config: Path) -> None:
    code, out, _ = run_cli("validate", sales_config)
    assert code == 0
    assert "1 series, 72 rows, frequency MS" in out
    assert "split (rows): train 54, validation 6, test 12" in out
    assert "windows: train 37, validation 1, test 7" in out


def test_validate_shipped_configs() -> None:
    for path in sorted(CONFIGS.glob("*.yaml")):
        code, out, err = run_cli("validate", path, "--set", "output.dir=/nonexistent/run")
        assert code == 0, err
        assert f"{path}: ok" in out


def bad_config(tmp_path: Path, csv_text: str | None = None, **sections: dict[str, object]) -> Path:
    data = tmp_path / "sales.csv"
    if csv_text is None:
        write_csv(data, monthly_frame())
    else:
        data.write_text(csv_text)
    return write_config(tmp_path, data, **sections)


GOOD_ROWS = "".join(f"2000-{m:02d},{m}\n" for m in range(1, 13))


@pytest.mark.parametrize(
    ("setup", "fragments"),
    [
        ("missing_config", ["config file not found"]),
        ("syntax_error", ["line 3: YAML error"]),
        ("unknown_key", ["unknown key 'training.epoch'", "did you mean 'epochs'"]),
        (
            "wrong_type",
            [
                "training.batch_size: input should be 'auto' or input should be a valid integer",
                "'32'",
            ],
        ),
        ("missing_target", ["column 'units' not found", "'month', 'sales'"]),
        ("missing_time", ["column 'date' not found"]),
        ("non_numeric", ["column 'sales': non-numeric value 'n/a?' at line 4"]),
        ("duplicate_time", ["duplicate timestamp 2000-02 at lines 3 and 4"]),
        ("bad_date", ["cannot parse time value '2000-13' at line 3"]),
        (
            "nan",
            [
                "column 'sales' has 1 missing values (first at line 3)",
                "set data.missing to drop, ffill or interpolate",
            ],
        ),
        ("too_short", ["has 12 rows but needs at least 36"]),
        ("parent_is_file", ["output directory has a parent that is a file"]),
        ("not_a_bundle", ["exists and is not an lstm-forecast bundle"]),
        ("bad_set", ["--set training.epoch=3", "did you mean 'epochs'"]),
        ("drop_everything", ["no training window without missing values"]),
        ("tensorboard_is_file", ["logs: training.tensorboard is a file"]),
    ],
)
def test_bad_input_exits_2_with_one_line_and_writes_nothing(
    tmp_path: Path, setup: str, fragments: list[str]
) -> None:
    run_dir = tmp_path / "run"
    extra: list[str] = []
    if setup == "missing_config":
        config = tmp_path / "absent.yaml"
    elif setup == "syntax_error":
        config = tmp_path / "c.yaml"
        config.write_text("data:\n  path: x\n\ttarget: y\n")
    elif setup == "unknown_key":
        config = bad_config(tmp_path, training={"epoch": 3})
    elif setup == "wrong_type":
        config = bad_config(tmp_path, training={"batch_size": "32"})
    elif setup == "missing_target":
        config = bad_config(tmp_path, data={"target": "units"})
    elif setup == "missing_time":
        config = bad_config(tmp_path, data={"time_column": "date"})
    elif setup == "non_numeric":
        config = bad_config(tmp_path, "month,sales\n2000-01,1\n2000-02,2\n2000-03,n/a?\n")
    elif setup == "duplicate_time":
        config = bad_config(tmp_path, "month,sales\n2000-01,1\n2000-02,2\n2000-02,3\n")
    elif setup == "bad_date":
        config = bad_config(tmp_path, "month,sales\n2000-01,1\n2000-13,2\n")
    elif setup == "nan":
        config = bad_config(tmp_path, "month,sales\n2000-01,1\n2000-02,\n2000-03,3\n")
    elif setup == "too_short":
        config = bad_config(tmp_path, "month,sales\n" + GOOD_ROWS)
    elif setup == "parent_is_file":
        (tmp_path / "file").write_text("x")
        run_dir = tmp_path / "file" / "run"
        config = bad_config(tmp_path, output={"dir": str(run_dir)})
    elif setup == "not_a_bundle":
        run_dir.mkdir()
        (run_dir / "precious.txt").write_text("keep me")
        config = bad_config(tmp_path)
    elif setup == "drop_everything":
        frame = monthly_frame()
        frame.loc[frame.index[1:-1:5], "sales"] = None
        config = bad_config(tmp_path, frame.to_csv(index=False), data={"missing": "drop"})
    elif setup == "bad_set":
        config = bad_config(tmp_path)
        extra = ["--set", "training.epoch=3"]
    elif setup == "tensorboard_is_file":
        (tmp_path / "logs").write_text("x")
        config = bad_config(tmp_path, training={"tensorboard": "logs"})
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run_cli("train", config, *extra)
    assert_one_line_error(code, err, 2, *fragments)
    assert out == ""
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written
    if setup == "not_a_bundle":
        assert (run_dir / "precious.txt").read_text() == "keep me"


def test_predict_without_a_bundle_exits_2(tmp_path: Path) -> None:
    code, _, err = run_cli("predict", tmp_path / "nowhere")
    assert_one_line_error(code, err, 2, "run directory not found")


def test_predict_given_a_data_file_as_the_bundle_says_where_the_file_goes(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("month,sales\n2000-01,1\n", encoding="utf-8")
    code, _, err = run_cli("predict", data)
    assert_one_line_error(code, err, 2, "is a file, not a run directory", f"RUN_DIR --data {data}")


def test_predict_on_a_directory_that_is_not_a_bundle_exits_3(tmp_path: Path) -> None:
    code, _, err = run_cli("predict", tmp_path)
    assert_one_line_error(code, err, 3, "manifest.json", "missing")


def test_unknown_command_is_a_usage_error() -> None:
    assert run_cli("fly")[0] == 2


@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["validate", str(CONFIGS / "airline.yaml"), "--set", "output.dir=/nonexistent/run"],
    ],
)
def test_help_and_validate_never_import_tensorflow(args: list[str]) -> None:
    ran = run_python(
        "import sys\n"
        "from lstm_forecast.cli import cli\n"
        "try:\n"
        f"    cli({args!r}, standalone_mode=False)\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = ('tensorflow', 'keras', 'matplotlib', 'tf2onnx', 'keras_tuner')\n"
        "print('heavy:', sorted(m for m in heavy if m in sys.modules))\n"
    )
    assert ran.code == 0, ran.err
    assert "heavy: []" in ran.out


def test_exit_code_of_the_installed_command(tmp_path: Path) -> None:
    ran = run_process("train", tmp_path / "absent.yaml")
    assert ran.code == 2
    assert ran.err.strip() == (
        f"lstm-forecast: error: {tmp_path / 'absent.yaml'}: config file not found"
    )


def test_predict_output_into_a_missing_folder_is_refused_first(tmp_path: Path) -> None:
    code, _, err = run_cli("predict", tmp_path / "no-bundle", "--output", tmp_path / "no" / "f.csv")
    assert_one_line_error(code, err, 2, "the output's folder", "does not exist")


def test_predict_output_that_is_a_directory_is_refused(tmp_path: Path) -> None:
    code, _, err = run_cli("predict", tmp_path / "no-bundle", "--output", tmp_path)
    assert_one_line_error(code, err, 2, "is a directory; give a file name")


def test_backtest_output_through_a_file_is_refused_before_training(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    code, _, err = run_cli(
        "backtest", CONFIGS / "airline.yaml", "--output", tmp_path / "file" / "bt"
    )
    assert_one_line_error(code, err, 2, "has a file in its path")


def test_backtest_folds_must_be_positive() -> None:
    assert run_cli("backtest", CONFIGS / "airline.yaml", "--folds", "0")[0] == 2


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
def test_an_output_that_cannot_be_written_exits_4_before_training(tmp_path: Path) -> None:
    # /proc refuses new files even to root, where a chmod-protected folder would not.
    config = bad_config(tmp_path, output={"dir": "/proc/lstm-forecast-test/run"})
    code, out, err = run_cli("train", config)
    assert_one_line_error(code, err, 4, "cannot create the lock file")
    assert out == "" and "epoch" not in err


def test_validate_refuses_an_output_folder_it_cannot_write_in(tmp_path: Path) -> None:
    config = bad_config(tmp_path, output={"dir": "/proc/lstm-forecast-test/run"})
    ran = run_process("validate", config)
    assert_one_line_error(ran.code, ran.err, 4, "cannot write in /proc, where the bundle is made")


def test_tensorboard_without_its_package_says_what_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hide_module(monkeypatch, "tensorboard")
    config = bad_config(tmp_path, training={"tensorboard": "logs"})
    for command in ("validate", "train"):
        code, out, err = run_cli(command, config)
        assert out == ""
        assert_one_line_error(
            code, err, 2, "training.tensorboard needs the tensorboard package", "[tensorboard]"
        )
    assert not (tmp_path / "logs").exists() and not (tmp_path / "run").exists()


def test_the_command_list_matches_each_commands_own_help() -> None:
    """``--help`` lists the commands from a table, without importing them: each summary
    there must be the first line of the command's own help."""
    for name, entry in COMMANDS.items():
        command = cli.get_command(None, name)  # type: ignore[arg-type]
        assert command is not None and command.help is not None, name
        assert command.help.strip().splitlines()[0] == entry.summary, name
