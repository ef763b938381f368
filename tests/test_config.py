from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import yaml

from lstm_forecast.config import Config, load_config, validate_config
from lstm_forecast.errors import ConfigError

from .helpers import CONFIGS, assert_one_line_error, run_process


@pytest.mark.parametrize("path", sorted(CONFIGS.glob("*.yaml")), ids=lambda p: p.stem)
def test_shipped_configs_load_and_round_trip(path: Path) -> None:
    config = load_config(path)
    again = validate_config(yaml.safe_load(config.to_yaml()), where="round trip")
    assert again == config
    assert config.data.path.is_absolute() and config.data.path.is_file()


def test_relative_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    path = tmp_path / "sub" / "c.yaml"
    path.write_text(
        "data: {path: ../d.csv, time_column: t, target: y}\n"
        "window: {lookback: 3, horizon: 1}\noutput: {dir: out}\n"
        "training: {tensorboard: ../logs}\n"
    )
    config = load_config(path)
    assert config.data.path == tmp_path / "d.csv"
    assert config.run_dir == tmp_path / "sub" / "out"
    assert config.training.tensorboard == tmp_path / "logs"
    assert config.name == "c"


def test_output_dir_defaults_to_runs_name_beside_the_config(
    sales_config: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    text = sales_config.read_text().replace(f"  dir: {tmp_path / 'run'}\n", "")
    sales_config.write_text(text.replace("output:\n", ""))
    # From any working directory, as data.path is read: one command, one bundle.
    for folder in (tmp_path, tmp_path / "elsewhere"):
        folder.mkdir(exist_ok=True)
        monkeypatch.chdir(folder)
        assert load_config(sales_config).run_dir == sales_config.parent / "runs" / "config"


def test_overrides_are_typed(sales_config: Path) -> None:
    config = load_config(
        sales_config,
        [
            "training.epochs=7",
            "model.layers=[8, 4]",
            "split.validation=0.2",
            "data.freq=MS",
            "evaluation.season_length=4",
        ],
    )
    assert config.training.epochs == 7
    assert config.model.layers == [8, 4]
    assert config.split.validation == 0.2
    assert config.data.freq == "MS"
    assert config.evaluation.season_length == 4


def test_override_path_resolves_against_working_directory(
    sales_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert load_config(sales_config, ["output.dir=elsewhere"]).run_dir == tmp_path / "elsewhere"


def test_split_test_zero_is_allowed(sales_config: Path) -> None:
    assert load_config(sales_config, ["split.test=0"]).split.test == 0


def test_target_list_gives_targets_then_features(sales_config: Path) -> None:
    config = load_config(sales_config, ["data.target=[a, b]", "data.features=[c]"])
    assert config.data.value_columns == ("a", "b", "c")


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (["training.epoch=5"], "unknown key 'training.epoch' (did you mean 'epochs'?)"),
        (["trainin.epochs=5"], "unknown key 'trainin' (did you mean 'training'?)"),
        (
            ["training.batch_size='32'"],
            "training.batch_size: input should be 'auto' or input should be a valid integer",
        ),
        (["data.target=no"], "YAML reads yes/no/on/off/true/false as booleans"),
        (["window.lookback=0"], "window.lookback: input should be greater than 0"),
        (["window.horizon=-3"], "window.horizon: input should be greater than 0"),
        (["training.epochs=0"], "training.epochs: input should be greater than 0"),
        (["split.test=1.5"], "split.test: a fraction must lie strictly between 0 and 1"),
        (["split.validation=-1"], "split.validation: a number of steps must be 0 or more"),
        (["split.validation=0.5", "split.test=0.5"], "leave nothing to train on"),
        (["model.cell=rnn"], "model.cell: input should be 'lstm' or 'gru'"),
        (["data.calendar_features=sometimes"], "data.calendar_features: input should be 'auto'"),
        (["data.calendar_features=[week]"], "'weekday', 'day_of_month', 'month' or 'day_of_year'"),
        (["data.freq=fortnightly"], "'fortnightly' is not a pandas frequency"),
        (["data.features=[sales]"], "column 'sales' is named more than once"),
        (["name=../escape"], "name: use letters, digits"),
        (["training=3"], "'training' is a section"),
        (["training.epochs.x=3"], "'training.epochs' has no sub-keys"),
        (["training.epochs"], "expected section.key=value"),
        (["training.epochs=[1"], "cannot parse value"),
    ],
)
def test_bad_values_name_the_key(sales_config: Path, overrides: list[str], expected: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(sales_config, overrides)
    assert expected in caught.value.message
    assert "\n" not in caught.value.message


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "c.yaml"
    path.write_text(text)
    return path


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "nope.yaml")


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory"):
        load_config(tmp_path)


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "data:\n  path: x.csv\n  target: [a, b\nwindow: {}\n")
    with pytest.raises(ConfigError, match=r"line \d+: YAML error"):
        load_config(path)


def test_duplicate_keys_are_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "window:\n  lookback: 3\n  lookback: 4\n  horizon: 1\n")
    with pytest.raises(
        ConfigError,
        match=r"line 3: YAML error: duplicate key 'lookback' "
        r"\(first at line 2\)",
    ):
        load_config(path)


def test_python_tags_are_refused_and_never_run(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    path = write(tmp_path, f"name: !!python/object/apply:os.system ['touch {marker}']\n")
    with pytest.raises(ConfigError, match="YAML error"):
        load_config(path)
    assert not marker.exists()


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="expected a mapping"):
        load_config(write(tmp_path, "- a\n- b\n"))


def test_huge_file_is_refused_before_parsing(tmp_path: Path) -> None:
    path = write(tmp_path, "# " + "x" * (2 << 20) + "\n")
    with pytest.raises(ConfigError, match="the limit is"):
        load_config(path)


def test_alias_bomb_is_refused_fast(tmp_path: Path) -> None:
    # 9 ** 12 (282 billion) values once expanded: the target list would never validate.
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 12):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    lines.append("data: {path: d.csv, time_column: t, target: *a11}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    started = time.perf_counter()
    with pytest.raises(ConfigError, match="expands to more than 100000 values"):
        load_config(path)
    assert time.perf_counter() - started < 5  # refused, not expanded


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data: {path: d.csv, time_column: t, target: &y [y1, y2], features: [f]}\n"
        "window: {lookback: &n 3, horizon: *n}\n",
    )
    config = load_config(path)
    assert config.data.targets == ("y1", "y2") and config.window.horizon == 3


def test_missing_required_key(tmp_path: Path) -> None:
    path = write(tmp_path, "data: {path: d.csv, time_column: t, target: y}\n")
    with pytest.raises(ConfigError, match="missing required key 'window'"):
        load_config(path)


def test_config_is_frozen(sales_config: Path) -> None:
    config = load_config(sales_config)
    with pytest.raises(ValueError, match="frozen"):
        config.name = "other"  # type: ignore[misc]
    assert isinstance(config, Config)


def test_config_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(b"name: caf\xe9\n")
    with pytest.raises(ConfigError, match="not UTF-8 text"):
        load_config(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "window: {lookbak: 12, horizon: 6}\n",
            "unknown key 'window.lookbak' (did you mean 'lookback'?)",
        ),
        ("windows: {lookback: 12, horizon: 6}\n", "unknown key 'windows' (did you mean 'window'?)"),
    ],
)
def test_a_misspelt_required_key_is_named_with_its_likely_spelling(
    tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "data: {path: d.csv, time_column: t, target: y}\n" + text)
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(path)


def test_a_misspelt_required_data_key_is_named(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "data: {path: d.csv, time_column: t, targets: y}\nwindow: {lookback: 3, horizon: 1}\n",
    )
    with pytest.raises(
        ConfigError, match=re.escape("unknown key 'data.targets' (did you mean 'target'?)")
    ):
        load_config(path)


def test_a_bad_value_from_set_is_blamed_on_set(sales_config: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_config(sales_config, ["window.horizon=twelve"])
    assert str(raised.value).startswith("--set window.horizon=twelve: window.horizon:")
    # A bad value in the file itself is still blamed on the file.
    text = sales_config.read_text().replace("horizon: 6", "horizon: twelve")
    assert "twelve" in text
    sales_config.write_text(text)
    with pytest.raises(ConfigError, match=re.escape(str(sales_config))):
        load_config(sales_config, ["training.epochs=2"])


@pytest.mark.parametrize("part", ["validation", "test"])
def test_a_part_shorter_than_the_horizon_says_so_with_the_numbers(
    sales_config: Path, part: str
) -> None:
    message = (
        f"split.{part} is 3 steps, shorter than window.horizon (6): a part is scored in "
        f"whole forecasts; set split.{part} to 0 or at least 6"
    )
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(sales_config, [f"split.{part}=3", "window.horizon=6"])


def test_a_number_with_an_exponent_is_a_number_in_the_file_and_from_set(
    sales_config: Path,
) -> None:
    """``1e-3`` is a number as YAML 1.2 and every other tool read it (PyYAML's YAML 1.1
    rules alone made it the text '1e-3', refused as "not a valid number")."""
    raw = yaml.safe_load(sales_config.read_text())
    raw.setdefault("training", {})["learning_rate"] = "LR"
    sales_config.write_text(yaml.safe_dump(raw).replace("LR", "1e-3"))
    assert "learning_rate: 1e-3" in sales_config.read_text()
    assert load_config(sales_config).training.learning_rate == pytest.approx(0.001)
    overridden = load_config(sales_config, ["training.learning_rate=2.5e-4"])
    assert overridden.training.learning_rate == pytest.approx(0.00025)


@pytest.mark.parametrize("command", ["validate", "train"])
def test_a_data_path_that_is_a_symbolic_link_loop_is_an_input_to_fix(
    command: str, tmp_path: Path
) -> None:
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    config = tmp_path / "c.yaml"
    config.write_text(
        "name: c\ndata: {path: loop.csv, time_column: month, target: sales}\n"
        "window: {lookback: 12, horizon: 6}\n"
    )
    ran = run_process(command, config)
    assert_one_line_error(ran.code, ran.err, 2, "data.path", "symbolic link that leads back")


def test_a_warm_start_from_a_symbolic_link_loop_is_an_input_to_fix(tmp_path: Path) -> None:
    loop = tmp_path / "run"
    loop.symlink_to(loop)
    ran = run_process("train", CONFIGS / "airline.yaml", "--init-from", loop)
    assert_one_line_error(ran.code, ran.err, 2, "symbolic link that leads back")
