"""The Keras and KerasTuner releases that ``multiworker`` and ``search`` were written
against (they replace private methods), checked from package metadata without importing
either, so a mismatch is refused with a clear message before any work."""

from __future__ import annotations

from importlib import metadata

from ..errors import ConfigError

# major.minor of the releases the work-arounds were written and tested with (uv.lock).
MULTI_WORKER_KERAS = "3.15"
SEARCH_KERAS_TUNER = "1.4"


def check_keras_for_multi_worker() -> None:
    """Refuse ``training.distribute: multi_worker`` on a Keras the work-around was not
    written for (keras-team/keras#20585)."""
    found = _release("keras")
    if _minor(found) != MULTI_WORKER_KERAS:
        raise ConfigError(
            f"multi_worker training works around a Keras bug with Keras "
            f"{MULTI_WORKER_KERAS}'s private methods (keras-team/keras#20585); this is Keras "
            f"{found}: install keras=={MULTI_WORKER_KERAS}.* or use none or mirrored",
            where="training.distribute",
        )


def check_keras_tuner() -> None:
    """Refuse ``tune`` on a KerasTuner whose internals ``search`` was not written for."""
    found = _release("keras-tuner")
    if _minor(found) != SEARCH_KERAS_TUNER:
        raise ConfigError(
            f"tune drives KerasTuner {SEARCH_KERAS_TUNER}'s internals; this is KerasTuner "
            f"{found}: pip install 'keras-tuner=={SEARCH_KERAS_TUNER}.*'"
        )


def _release(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "none (not installed)"


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])
