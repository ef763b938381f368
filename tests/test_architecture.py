"""The package's shape holds by itself: small modules that say what they are, short
functions, each with its line in docs/architecture.md, and the light commands inside the
import contract that keeps TensorFlow out. (``lint-imports``, which .ci/run runs, checks
the contracts themselves.)"""

from __future__ import annotations

import ast
import re
import tomllib
from pathlib import Path

import pytest

from .helpers import REPO, run_python

PACKAGE = REPO / "lstm_forecast"
MODULES = sorted(PACKAGE.rglob("*.py"))
ARCHITECTURE = REPO / "docs" / "architecture.md"
# The commands a light install (no [train] extra) runs: docs/architecture.md's third contract.
LIGHT_COMMANDS = ("validate", "init", "evaluate", "predict", "detect", "explain", "report")
MAX_MODULE_LINES = 300
MAX_FUNCTION_LINES = 60


def functions(path: Path) -> list[tuple[str, int]]:
    """Every function and method in ``path`` with its length in lines (decorators in)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
            assert node.end_lineno is not None
            found.append((node.name, node.end_lineno - first + 1))
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_a_module_is_short_and_its_first_line_says_what_it_is(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= MAX_MODULE_LINES
    docstring = ast.get_docstring(ast.parse(text))
    assert docstring and docstring.strip(), "a module starts with a docstring"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_functions_are_short(path: Path) -> None:
    long = [(name, lines) for name, lines in functions(path) if lines > MAX_FUNCTION_LINES]
    assert not long, f"over {MAX_FUNCTION_LINES} lines: {long}"


def test_the_python_api_names_every_command_and_imports_nothing_heavy() -> None:
    ran = run_python(
        "import sys\n"
        "import lstm_forecast as lf\n"
        "heavy = ('pandas', 'tensorflow', 'keras', 'matplotlib')\n"
        "print('loaded:', sorted(m for m in heavy if m in sys.modules))\n"
        "names = ('load_config', 'validate', 'train', 'evaluate', 'predict', 'backtest',\n"
        "         'tune', 'load_bundle')\n"
        "print('callable:', all(callable(getattr(lf, n)) for n in names))\n"
        "print('in dir:', set(names) <= set(dir(lf)))\n"
    )
    assert ran.code == 0, ran.err
    assert ran.out.splitlines() == ["loaded: []", "callable: True", "in dir: True"]


def test_every_module_has_its_line_in_the_architecture_doc_and_no_other_is_named() -> None:
    doc = ARCHITECTURE.read_text(encoding="utf-8")
    modules = {p.relative_to(PACKAGE).as_posix() for p in MODULES}
    missing = sorted(m for m in modules if f"`{m}`" not in doc)
    assert not missing, f"add a line to docs/architecture.md for {missing}"
    named = set(re.findall(r"`((?:[a-z_]+/)?[a-z_]+\.py)`", doc))
    gone = sorted(n for n in named if n not in modules and not n.startswith("test"))
    assert not gone, f"docs/architecture.md names modules that are not there: {gone}"


def test_the_light_commands_are_inside_the_no_tensorflow_contract() -> None:
    contracts = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["importlinter"]
    (light,) = [
        c
        for c in contracts["contracts"]
        if c["type"] == "forbidden" and "matplotlib" in c["forbidden_modules"]
    ]
    for command in LIGHT_COMMANDS:
        for package in ("cli", "workflows"):
            assert f"lstm_forecast.{package}.{command}" in light["source_modules"], command
    assert f"{', '.join(LIGHT_COMMANDS[:-1])} and {LIGHT_COMMANDS[-1]}" in light["name"]
