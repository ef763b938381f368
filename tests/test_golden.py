"""Yesterday's bundles in today's code: a bundle made by an earlier version
(``tests/fixtures/golden/``, made by ``tests/fixtures/make_golden.py``) forecasts its data
byte for byte as it did then, and a bundle of a newer schema is refused naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from lstm_forecast.bundle.layout import SCHEMA_VERSION

from .helpers import assert_one_line_error, cli_argv, run_process, run_tool

GOLDEN = Path(__file__).parent / "fixtures" / "golden"


def _copy(tmp_path: Path) -> Path:
    """A copy of the golden bundle: predict takes a lock beside it, never in the clone."""
    return Path(shutil.copytree(GOLDEN / "bundle", tmp_path / "bundle"))


def test_the_golden_bundle_forecasts_its_data_to_the_byte(tmp_path: Path) -> None:
    bundle = _copy(tmp_path)
    ran = run_tool(
        *cli_argv("predict", bundle, "--data", GOLDEN / "sales.csv", "--output", "f.csv"),
        cwd=tmp_path,
    )
    assert ran.code == 0, ran.err
    assert (tmp_path / "f.csv").read_bytes() == (GOLDEN / "forecast.csv").read_bytes()


def test_a_bundle_of_a_newer_schema_is_refused_naming_the_version(tmp_path: Path) -> None:
    bundle = _copy(tmp_path)
    manifest = json.loads((bundle / "manifest.json").read_text())
    manifest["schema"] = SCHEMA_VERSION + 1
    (bundle / "manifest.json").write_text(json.dumps(manifest))
    ran = run_process("predict", bundle, "--data", GOLDEN / "sales.csv")
    assert_one_line_error(
        ran.code,
        ran.err,
        3,
        f"bundle schema {SCHEMA_VERSION + 1}: made by a newer lstm-forecast",
        f"this one reads schema {SCHEMA_VERSION}",
        "upgrade lstm-forecast",
    )
