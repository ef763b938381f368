"""The test harness itself: how many workers ``--numprocesses=auto`` starts."""

from __future__ import annotations

from pathlib import Path

import pytest

from .helpers import usable_cores


def test_a_cpu_quota_caps_the_workers_at_the_cores_it_pays_for(tmp_path: Path) -> None:
    cpu_max = tmp_path / "cpu.max"
    cpu_max.write_text("max 100000\n")
    cores = usable_cores(cpu_max)
    assert cores >= 1
    cpu_max.write_text("100000 100000\n")
    assert usable_cores(cpu_max) == 1
    cpu_max.write_text("150000 100000\n")  # 1.5 cores: the half core still runs a worker
    assert usable_cores(cpu_max) == min(2, cores)
    cpu_max.write_text(f"{100000 * (cores + 8)} 100000\n")  # a quota above the cores
    assert usable_cores(cpu_max) == cores


@pytest.mark.parametrize("text", [None, "", "garbage", "max", "x 100000"])
def test_a_missing_or_unreadable_quota_leaves_the_cores(tmp_path: Path, text: str | None) -> None:
    cpu_max = tmp_path / "cpu.max"
    if text is not None:
        cpu_max.write_text(text)
    assert usable_cores(cpu_max) == usable_cores(tmp_path / "absent")
