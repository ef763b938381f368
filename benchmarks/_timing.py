"""What the start-up benchmarks share: timing a command in fresh processes."""

from __future__ import annotations

import os
import statistics
import subprocess
import time


def quiet_env() -> dict[str, str]:
    """The environment with TensorFlow's C++ logs off."""
    return {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def wall_seconds(argv: list[str], repeat: int) -> float:
    """Median wall time of ``repeat`` runs of ``argv``, each in a fresh process."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True, env=quiet_env())
        times.append(time.perf_counter() - started)
    return statistics.median(times)
