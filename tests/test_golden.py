"""Yesterday's bundles in today's code: a bundle made by an earlier version
(``tests/fixtures/golden/``, made by ``tests/fixtures/make_golden.py``) forecasts its data
byte for byte as it did then, and a bundle of a newer schema is refused naming it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import onnx
from onnx import helper

from lstm_forecast.bundle.layout import SCHEMA_VERSION
from lstm_forecast.bundle.store import write_manifest

from .helpers import assert_one_line_error, cli_argv, run_process, run_tool, start_process

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


def test_the_forecast_on_stdout_is_the_file_written_with_output(tmp_path: Path) -> None:
    """Both are written as the CSV is made (never held whole as text): the same bytes."""
    bundle = _copy(tmp_path)
    ran = run_tool(*cli_argv("predict", bundle, "--data", GOLDEN / "sales.csv"), cwd=tmp_path)
    assert ran.code == 0, ran.err
    assert ran.out == (GOLDEN / "forecast.csv").read_text()


def test_a_reader_that_stops_reading_the_forecast_ends_it_quietly(tmp_path: Path) -> None:
    """``predict RUN | head``: the reader closes the pipe before the CSV is all written
    (here before any of it is); the rest goes nowhere, with no error and exit 0."""
    bundle = _copy(tmp_path)
    process = start_process("predict", bundle, "--data", GOLDEN / "sales.csv")
    assert process.stdout is not None
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    assert "error" not in err


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


def test_a_network_whose_outputs_do_not_match_the_record_is_refused(tmp_path: Path) -> None:
    """Another network put in the bundle (manifest rehashed, as anyone who can write the
    folder can): its outputs are not the recorded (horizon, targets[, quantiles])."""
    bundle = _copy(tmp_path)
    original = onnx.load(bundle / "model.onnx")
    (source,) = original.graph.input
    echo = helper.make_graph(
        [helper.make_node("Identity", [source.name], ["out"])],
        "echo",
        [source],
        [helper.make_tensor_value_info("out", onnx.TensorProto.FLOAT, None)],
    )
    swapped = helper.make_model(echo, opset_imports=list(original.opset_import))
    swapped.ir_version = original.ir_version
    (bundle / "model.onnx").write_bytes(swapped.SerializeToString())
    (bundle / "manifest.json").unlink()
    write_manifest(bundle)
    ran = run_process("predict", bundle, "--data", GOLDEN / "sales.csv")
    assert_one_line_error(
        ran.code, ran.err, 3, "the network's outputs have shape", "its preprocessing records (6, 1)"
    )
