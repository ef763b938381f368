"""``errors``: messages name a workflow's arguments as the Python API names them and the
CLI shows their flags; every exit code is defined once (``ExitCode``)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import lstm_forecast as lf
from lstm_forecast.cli.app import COMMANDS, cli
from lstm_forecast.cli.options import FLAGS
from lstm_forecast.errors import ExitCode, LstmForecastError, UserError
from lstm_forecast.workflows.preflight import with_test_steps

from .helpers import CONFIGS, REPO, assert_one_line_error, run_cli

PACKAGE = REPO / "lstm_forecast"


def test_a_workflow_error_names_its_argument_and_the_cli_the_flag() -> None:
    config = lf.load_config(CONFIGS / "airline.yaml")
    with pytest.raises(UserError) as refused:
        with_test_steps(config, 1)
    assert refused.value.message.startswith("test_steps 1 is shorter than the horizon (12)")
    assert refused.value.message_for(FLAGS).startswith("--test 1 is shorter than the horizon")
    assert "--" not in refused.value.message


def test_the_cli_shows_the_flag(tmp_path: Path) -> None:
    ran = run_cli("detect", tmp_path / "absent", "--last", "0")
    assert_one_line_error(ran.code, ran.err, 2, "--last 0: give a number of rows")


def test_braces_in_a_value_are_kept_as_they_are() -> None:
    error = UserError("{plot}: a {b} file {plot}s", where="f{x}.png", arguments=("plot",))
    assert error.message == "f{x}.png: plot: a {b} file plots"
    assert error.message_for({"plot": "--plot"}) == "f{x}.png: --plot: a {b} file --plots"


def _named_arguments() -> set[str]:
    """Every name passed in ``arguments=(...)`` to an error anywhere in the package."""
    names = set()
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.keyword) and node.arg == "arguments":
                names |= {
                    c.value
                    for c in ast.walk(node.value)
                    if isinstance(c, ast.Constant) and isinstance(c.value, str)
                }
    return names


def test_every_argument_an_error_names_has_a_flag_that_exists() -> None:
    named = _named_arguments()
    assert named, "the scan found no error naming an argument"
    assert named <= set(FLAGS), named - set(FLAGS)
    flags = {
        option
        for name in COMMANDS
        for parameter in cli.get_command(None, name).params  # type: ignore[arg-type,union-attr]
        for option in parameter.opts
    }
    assert set(FLAGS.values()) <= flags, set(FLAGS.values()) - flags


def test_exit_codes_are_defined_only_in_errors() -> None:
    """No number as an exit status outside ``ExitCode``: every ``sys.exit``, click
    ``Exit`` and ``exit_code`` takes a member of it."""
    for path in PACKAGE.rglob("*.py"):
        if path.name == "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("exit", "Exit"):
                literal = [a for a in node.args if isinstance(a, ast.Constant)]
                assert not literal, f"{path}:{node.lineno}: an exit status as a number"
            if isinstance(node, ast.Assign) and any(
                getattr(t, "id", getattr(t, "attr", "")) == "exit_code" for t in node.targets
            ):
                raise AssertionError(f"{path}:{node.lineno}: exit_code set outside errors.py")


@pytest.mark.parametrize("kind", LstmForecastError.__subclasses__())
def test_every_error_kind_exits_with_a_member_of_exit_code(kind: type) -> None:
    assert isinstance(kind.exit_code, ExitCode)  # type: ignore[attr-defined]


def test_explain_refuses_no_shuffles_before_reading_the_bundle(tmp_path: Path) -> None:
    """The Python API takes any integer (the CLI's --repeats takes 1 or more): none would
    leave every importance the mean of nothing."""
    with pytest.raises(UserError) as refused:
        lf.explain(tmp_path / "no bundle here", repeats=0)
    assert refused.value.message == "repeats 0: give a number of shuffles, 1 or more"
    assert refused.value.message_for(FLAGS) == "--repeats 0: give a number of shuffles, 1 or more"
