"""Shared fixtures: a tiny monthly CSV and its config, so tests train in seconds; the
fast tier's guard (a test not marked slow trains no network). The harness itself
(running the CLI, writing data and configs) is ``helpers``."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

# Keep TensorFlow's C++ logs out of test output; set before anything imports it.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

from .bundles import SharedBundle, build_airline, build_sales, shared_bundle
from .helpers import monthly_frame, usable_cores, write_config, write_csv
from .no_training import fit_guard

# Every Python the tests start loads the guard too (no_training/sitecustomize.py).
_GUARD_FOLDER = str(Path(fit_guard.__file__).parent)
os.environ["PYTHONPATH"] = os.pathsep.join(
    p for p in (_GUARD_FOLDER, os.environ.get("PYTHONPATH")) if p
)
fit_guard.install()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Iterator[None]:
    """A test not marked slow, its fixtures included, may not call Keras' ``fit`` in this
    process or in any it starts: the fast tier (``-m "not slow"``) trains no network."""
    if item.get_closest_marker("slow") is None:
        os.environ[fit_guard.FORBID_FIT] = item.nodeid
    try:
        yield
    finally:
        os.environ.pop(fit_guard.FORBID_FIT, None)


@pytest.fixture
def sales_csv(tmp_path: Path) -> Path:
    return write_csv(tmp_path / "sales.csv", monthly_frame())


@pytest.fixture
def sales_config(tmp_path: Path, sales_csv: Path) -> Path:
    return write_config(tmp_path, sales_csv)


@pytest.fixture(scope="session")
def shared_sales(tmp_path_factory: pytest.TempPathFactory) -> SharedBundle:
    """72 months of sales, ``write_config``'s defaults, trained as cron runs it: copy it."""
    return shared_bundle(tmp_path_factory, "sales", build_sales)


@pytest.fixture(scope="session")
def shared_airline(tmp_path_factory: pytest.TempPathFactory) -> SharedBundle:
    """The shipped airline config, shrunk by ``helpers.TINY``: copy it."""
    return shared_bundle(tmp_path_factory, "airline", build_airline)


@pytest.hookimpl(tryfirst=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """``--numprocesses=auto``: one worker per core this process may use. pytest-xdist
    counts the CPUs it may be scheduled on, which in a container limited by a CPU quota
    (``docker --cpus 2``) can be the host's dozens: that many workers, each importing
    TensorFlow, would only contend. ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still decides
    when set (None leaves it to pytest-xdist)."""
    if os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS"):
        return None
    return usable_cores()
