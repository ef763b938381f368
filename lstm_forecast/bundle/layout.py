"""What a bundle holds: every file name, and the one place the body is written (after
training) and read back (evaluate, predict). ``store`` stages, checks and swaps the whole.

TensorFlow is imported only to save a trained network, or to load ``model.keras`` from a
bundle without ``model.onnx``; a bundle with it is read with ONNX Runtime alone.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from .. import __version__
from ..config import Config, validate_config
from ..config.safe_yaml import parse_yaml
from ..errors import BundleError, ConfigError
from ..features import Prepared, Preprocessing
from ..features.forecasts import Forecaster, forecaster_of
from ..nn.onnx_runtime import load_onnx_network
from ..scoring.evaluation import Evaluation
from ..scoring.naives import AgainstNaives
from ..scoring.tails import TailCalibration
from .trust import METADATA_SCHEMA, METRICS_SCHEMA, check_json_member, check_keras_archive

if TYPE_CHECKING:
    from ..nn.training import TrainedNetwork

_log = logging.getLogger(__name__)

SCHEMA_VERSION = 1
MANIFEST = "manifest.json"  # written last, by ``store``: the SHA-256 of every other file
MODEL_FILE = "model.keras"
ONNX_FILE = "model.onnx"  # written when ONNX Runtime reproduces Keras' outputs
PREPROCESSING_FILE = "preprocessing.json"
CONFIG_FILE = "config.yaml"
METADATA_FILE = "metadata.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
TAILS_FILE = "tails.json"  # a quantile model's tail calibration, when validation allowed one
PLOTS_FOLDER = "plots"
LOSS_PLOT = f"{PLOTS_FOLDER}/loss.png"
TEST_PLOT = f"{PLOTS_FOLDER}/test_forecast.png"
REQUIRED_FILES = (
    MODEL_FILE,
    PREPROCESSING_FILE,
    CONFIG_FILE,
    METADATA_FILE,
    METRICS_FILE,
    HISTORY_FILE,
)
OPTIONAL_FILES = (ONNX_FILE, TAILS_FILE)
MAX_JSON_BYTES = 64 << 20


class Figure(Protocol):
    """A figure the body draws into a plot file (``report.plots`` makes them)."""

    def savefig(self, fname: Path, *, dpi: int) -> None: ...


@dataclass(frozen=True)
class Bundle:
    """A verified run directory, ready to forecast."""

    run_dir: Path
    config: Config
    preprocessing: Preprocessing
    metadata: dict[str, Any]
    forecaster: Forecaster
    # How far out the validation rows fell (detect's tail probabilities); None without.
    tails: TailCalibration | None = None


def is_member_name(name: str) -> bool:
    """Whether ``name`` (relative, POSIX) is a file a bundle may hold."""
    pure = PurePosixPath(name)
    is_plot = len(pure.parts) == 2 and pure.parts[0] == PLOTS_FOLDER and pure.suffix == ".png"
    return name in (*REQUIRED_FILES, *OPTIONAL_FILES) or is_plot


def write_body(
    staging: Path,
    *,
    config: Config,
    prepared: Prepared,
    preprocessing: Preprocessing,
    evaluation: Evaluation,
    against_naives: AgainstNaives | None = None,
    network: TrainedNetwork,
    check_inputs: np.ndarray,
    plots: Mapping[str, Figure],
    parent: Mapping[str, str] | None = None,
    tails: TailCalibration | None = None,
) -> None:
    """Write every file of a trained bundle but the manifest into ``staging``.

    ``check_inputs``: encoded windows on which ONNX Runtime must reproduce Keras for
    ``model.onnx`` to be shipped; ``plots``: figures by their name in the bundle;
    ``parent``: the bundle a warm start began from (its folder and manifest's SHA-256);
    ``tails``: the tail calibration, if any.
    """
    from ..nn import keras_file

    keras_file.save_model(network.model, staging / MODEL_FILE)
    onnx = keras_file.export_onnx(network.model, staging / ONNX_FILE, check_inputs)
    (staging / CONFIG_FILE).write_text(config.to_yaml(), encoding="utf-8")
    write_json(staging / PREPROCESSING_FILE, preprocessing.to_json())
    skipped = {"skipped_series": prepared.skipped} if prepared.skipped else {}
    against = {} if against_naives is None else {"against_naives": against_naives.to_json()}
    write_json(staging / METRICS_FILE, {**evaluation.to_json(), **skipped, **against})
    write_json(
        staging / METADATA_FILE,
        {
            "schema": SCHEMA_VERSION,
            "lstm_forecast": __version__,
            **keras_file.framework_versions(),
            "python": platform.python_version(),
            "data_path": str(prepared.dataset.path),
            "data_sha256": prepared.dataset.sha256,
            "seed": config.training.seed,
            "ensemble": len(network.members),
            "epochs_run": [m.epochs_run for m in network.members],
            "best_epoch": [m.best_epoch for m in network.members],
            "train_seconds": round(network.seconds, 3),
            "onnx": onnx.to_json(),
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            **({"parent": dict(parent)} if parent is not None else {}),
        },
    )
    _history(network).to_csv(staging / HISTORY_FILE, index=False)
    if tails is not None:
        write_json(staging / TAILS_FILE, tails.to_json())
    for name, figure in plots.items():
        path = staging / name
        path.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(path, dpi=100)


def read_body(run_dir: Path, files: Mapping[str, str]) -> Bundle:
    """The bundle in ``run_dir``, whose ``files`` (from its manifest) ``store`` verified:
    its network through ONNX Runtime when it has ``model.onnx``, else through Keras."""
    config = _read_config(run_dir / CONFIG_FILE)
    try:
        preprocessing = Preprocessing.from_json(read_json(run_dir, PREPROCESSING_FILE))
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"malformed ({exc!r})", where=run_dir / PREPROCESSING_FILE) from None
    metadata = read_json(run_dir, METADATA_FILE)
    check_json_member(metadata, METADATA_SCHEMA, run_dir / METADATA_FILE)
    check_json_member(read_json(run_dir, METRICS_FILE), METRICS_SCHEMA, run_dir / METRICS_FILE)
    # Every member is checked, whichever the command uses: model.keras as well when
    # predict reads model.onnx, since the next reader that loads Keras meets it.
    check_keras_archive(run_dir / MODEL_FILE)  # from the zip's JSON, before Keras reads it
    if ONNX_FILE in files:  # no TensorFlow or Keras on this path
        network = load_onnx_network(run_dir / ONNX_FILE)  # its graph checked first
    else:
        from ..nn import keras_file

        model = keras_file.load_keras_model(run_dir / MODEL_FILE, str(metadata.get("keras", "")))
        network = keras_file.keras_network(model)
    return Bundle(
        run_dir=run_dir,
        config=config,
        preprocessing=preprocessing,
        metadata=metadata,
        forecaster=forecaster_of(network, preprocessing.coding),
        tails=_read_tails(run_dir) if TAILS_FILE in files else None,
    )


def _read_tails(run_dir: Path) -> TailCalibration:
    try:
        return TailCalibration.from_json(read_json(run_dir, TAILS_FILE))
    except (KeyError, TypeError, ValueError) as exc:
        raise BundleError(f"malformed ({exc!r})", where=run_dir / TAILS_FILE) from None


def write_json(path: Path, data: Any) -> None:
    """``data`` as indented JSON, written as it is encoded: the text of every series'
    metrics or scalers is never held whole (a bundle is written into its staging folder,
    which becomes the bundle only once complete)."""
    with path.open("w", encoding="utf-8") as file:
        json.dump(data, file, indent=2, allow_nan=False)
        file.write("\n")


def read_json(run_dir: Path, name: str) -> dict[str, Any]:
    return parse_json(read_member(run_dir, name), run_dir / name)


def read_member(run_dir: Path, name: str) -> bytes:
    """The bytes of a JSON member (at most ``MAX_JSON_BYTES``)."""
    path = run_dir / name
    try:
        if path.stat().st_size > MAX_JSON_BYTES:
            raise BundleError(f"larger than {MAX_JSON_BYTES} bytes", where=path)
        return path.read_bytes()
    except FileNotFoundError:
        raise BundleError("missing: not a complete bundle", where=path) from None


def parse_json(content: bytes, path: Path) -> dict[str, Any]:
    """A JSON member's ``content`` (read from ``path``) as an object."""
    try:
        data = json.loads(content.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise BundleError(f"not valid JSON ({exc})", where=path) from None
    if not isinstance(data, dict):
        raise BundleError("not a JSON object", where=path)
    return data


def _history(network: TrainedNetwork) -> pd.DataFrame:
    """Loss per epoch of every ensemble member."""
    return pd.concat(
        [
            pd.DataFrame({"member": k, "epoch": np.arange(1, m.epochs_run + 1), **m.history})
            for k, m in enumerate(network.members)
        ]
    )


def _read_config(path: Path) -> Config:
    try:
        return validate_config(parse_yaml(path.read_text(encoding="utf-8")), where=str(path))
    except ConfigError as exc:
        raise BundleError(f"invalid config ({exc.what})", where=path) from None
    except (OSError, ValueError) as exc:
        raise BundleError(f"unreadable config ({exc})", where=path) from None
