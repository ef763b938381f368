"""Run at the start of every Python the test suite starts (``conftest`` puts this folder on
``PYTHONPATH``): the fast tier's guard against training a network (``fit_guard``)."""

import os

if os.environ.get("LSTM_FORECAST_TESTS_FORBID_FIT"):
    import fit_guard

    fit_guard.install()
