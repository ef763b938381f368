"""The package's shape holds by itself: small modules that say what they are, short
functions. (Import layers are checked by ``lint-imports``, which .ci/run runs.)"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .helpers import REPO, run_python

PACKAGE = REPO / "lstm_forecast"
MODULES = sorted(PACKAGE.rglob("*.py"))
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
