"""Fail any Keras ``Model.fit`` while ``FORBID_FIT`` is set in the environment: the fast
tier (``-m "not slow"``) trains no network, in the test process or in any Python it starts.

``conftest`` sets the variable around every test not marked slow, and puts this folder on
``PYTHONPATH``, so ``sitecustomize`` installs the same guard in every subprocess.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from types import ModuleType
from typing import Any

FORBID_FIT = "LSTM_FORECAST_TESTS_FORBID_FIT"


def _guard(keras: ModuleType) -> None:
    model = keras.Model
    original = model.fit

    def fit(self: Any, *args: Any, **kwargs: Any) -> Any:
        if os.environ.get(FORBID_FIT):
            raise AssertionError(
                f"Keras Model.fit called in a test not marked slow ({os.environ[FORBID_FIT]}): "
                "the fast tier trains no network; mark the test @pytest.mark.slow"
            )
        return original(self, *args, **kwargs)

    model.fit = fit


class _GuardKeras(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of every spec found for ``keras`` (a
    ``find_spec`` that only asks whether Keras is installed gets one too), so the guard
    goes in once Keras loads, whoever imports it and whenever."""

    def __init__(self) -> None:
        self._finding = False

    def find_spec(
        self, name: str, path: Any = None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if name != "keras" or self._finding:
            return None
        self._finding = True
        try:
            spec = importlib.util.find_spec("keras")  # by the finders after this one
        finally:
            self._finding = False
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        load = loader.exec_module

        def exec_module(module: ModuleType) -> None:
            load(module)
            _guard(module)

        loader.exec_module = exec_module  # type: ignore[method-assign]
        return spec


def install() -> None:
    """Guard Keras' ``fit`` now if Keras is loaded, else as soon as it is."""
    if "keras" in sys.modules:
        _guard(sys.modules["keras"])
    elif not any(isinstance(f, _GuardKeras) for f in sys.meta_path):
        sys.meta_path.insert(0, _GuardKeras())
