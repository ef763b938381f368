"""Keras callbacks of our training: stop on a non-finite loss, act on signals only between
batches, and one progress line per epoch (Keras)."""

from __future__ import annotations

import contextlib
import math
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import keras

__all__ = ["EpochLines", "SignalsBetweenBatches", "StopOnNonFiniteLoss"]


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Stop at the first NaN or infinite batch loss. Keras' own TerminateOnNaN prints to
    stdout, which belongs to results; ``fit`` reports the divergence instead."""

    def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        loss = (logs or {}).get("loss")
        if loss is not None and not math.isfinite(float(loss)):
            self.model.stop_training = True


class SignalsBetweenBatches(keras.callbacks.Callback):
    """Hold SIGINT and SIGTERM while TensorFlow runs and act on them before the next batch
    or at the epoch's end, from plain Python, with the handlers the caller had set.

    A handler that raises (Ctrl-C's KeyboardInterrupt, the CLI's ``Terminated``) at an
    arbitrary moment can land inside TensorFlow's own calls; a SIGINT could abort the process
    there (exit -6, no cleanup). Between batches the exception unwinds like any
    other, so staging directories are removed. Batches take milliseconds, so the delay is
    too short to notice.
    """

    _SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self) -> None:
        super().__init__()
        self._previous: dict[int, Any] = {}
        self._held: list[int] = []

    @contextlib.contextmanager
    def holding(self) -> Iterator[SignalsBetweenBatches]:
        """Hold the signals in this block (main thread only: elsewhere Python delivers no
        signals); one that came after the last batch is acted on when the block ends."""
        if threading.current_thread() is not threading.main_thread():
            yield self
            return
        for signum in self._SIGNALS:
            previous = signal.getsignal(signum)
            if previous not in (signal.SIG_IGN, None):
                self._previous[signum] = signal.signal(signum, self._hold)
        try:
            yield self
        finally:
            self._release()

    def _hold(self, signum: int, frame: Any) -> None:
        self._held.append(signum)

    def _release(self) -> None:
        previous, self._previous = self._previous, {}
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        if self._held:
            signum = self._held[0]
            self._held = []
            handler = previous.get(signum, signal.SIG_DFL)
            if callable(handler):
                handler(signum, None)
            else:
                signal.raise_signal(signum)  # the default action, e.g. exit

    def _act_on_held(self, *args: Any, **kwargs: Any) -> None:
        if self._held:
            self._release()

    # Batch beginnings, not ends: a callback on batch ends makes Keras wait for every
    # batch's loss (no asynchronous dispatch).
    on_train_batch_begin = on_test_batch_begin = on_epoch_end = _act_on_held


class EpochLines(keras.callbacks.Callback):
    """One line per epoch through ``emit`` (for logs and cron, where a bar is noise)."""

    def __init__(self, emit: Callable[[str], None], epochs: int) -> None:
        super().__init__()
        self._emit = emit
        self._epochs = epochs
        self._started = 0.0

    def on_epoch_begin(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: dict[str, float] | None = None) -> None:
        shown = " ".join(
            f"{k} {v:.4g}" for k, v in (logs or {}).items() if k in ("loss", "val_loss")
        )
        took = time.perf_counter() - self._started
        self._emit(f"epoch {epoch + 1}/{self._epochs} {shown} ({took:.2f}s)")
