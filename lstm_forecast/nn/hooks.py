"""What a caller hears from a training while it runs: one small object that train,
backtest and tune pass down to the network's training unchanged (no TensorFlow)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import keras


@dataclass(frozen=True)
class TrainingHooks:
    """How a training reports as it goes.

    Attributes:
        verbose: Keras' verbosity for ``fit`` (0 silent, 1 a progress bar, 2 a line per
            epoch), written to stdout.
        callbacks: extra Keras callbacks, run beside our own.
        progress: receives one line per epoch (for logs).
        label: said before the line that describes the network trained (which of
            several it is).
    """

    verbose: int = 0
    callbacks: Sequence[keras.callbacks.Callback] = field(default_factory=tuple)
    progress: Callable[[str], None] | None = None
    label: str = ""


SILENT = TrainingHooks()
