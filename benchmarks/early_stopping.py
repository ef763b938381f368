"""Early stopping's patience, replayed: train the accuracy benchmark's models once with
the longest patience asked for, keep every epoch's weights, score each epoch on the test
origins, then replay shorter patiences on the same validation losses.

A shorter patience stops the same training sooner, so the epoch it keeps and the test
MASE it scores are read off the one training: no retraining per patience, no seed noise
between them. Printed per dataset: MASE at each seed (the epoch kept), then the epochs
run in all, for each patience; the longest one is what that patience's training ran.

    uv run --group bench python benchmarks/early_stopping.py --patience 5 10 15 20
    uv run --group bench python benchmarks/early_stopping.py --datasets sunspots --seeds 42
"""

from __future__ import annotations

import argparse
import os

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import accuracy  # the benchmark's datasets, config and scoring


def stopped(val_losses: np.ndarray, patience: int) -> tuple[int, int]:
    """Keras' EarlyStopping on ``val_losses``: (the 1-based epoch it keeps, epochs run)."""
    best, kept, waited = np.inf, 0, 0
    for epoch, loss in enumerate(val_losses, start=1):
        if loss < best:
            best, kept, waited = loss, epoch, 0
        else:
            waited += 1
            if waited >= patience:
                return kept, epoch
    return kept, len(val_losses)


def epoch_scores(spec: accuracy.Spec, seed: int, patience: int) -> tuple[np.ndarray, np.ndarray]:
    """Train with ``patience``; return the validation loss of each epoch and the test
    MASE of each epoch's weights (index 0: before training)."""
    import keras

    class KeepEpochs(keras.callbacks.Callback):
        def on_train_begin(self, logs: object = None) -> None:
            self.weights = [self.model.get_weights()]

        def on_epoch_end(self, epoch: int, logs: object = None) -> None:
            self.weights.append(self.model.get_weights())

    y = accuracy.load_values(spec)
    origins = accuracy.origins_for(y, spec)
    epochs = KeepEpochs()
    overrides = [f"training.seed={seed}", f"training.early_stopping_patience={patience}"]
    _, result = accuracy.fit_ours(spec, len(origins), overrides, callbacks=[epochs])
    mase = []
    for weights in epochs.weights:
        result.network.model.set_weights(weights)
        series = accuracy.our_forecasts(result, spec, origins)
        forecasts = accuracy.Forecasts(series.forecasts["model"][:, :, 0], 0.0)
        mase.append(accuracy.score(y, forecasts, origins, spec).mase)
    return np.array(result.network.members[0].history["val_loss"]), np.array(mase)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patience", type=int, nargs="+", default=[5, 10, 15, 20])
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 7, 123])
    names = [s.name for s in accuracy.SPECS]
    parser.add_argument("--datasets", nargs="+", default=names, choices=names)
    args = parser.parse_args()
    longest = max(args.patience)
    totals = dict.fromkeys(args.patience, 0)
    print(f"trained with patience {longest}; MASE by seed {args.seeds} (epoch kept)")
    for spec in (s for s in accuracy.SPECS if s.name in args.datasets):
        runs = [epoch_scores(spec, seed, longest) for seed in args.seeds]
        for patience in args.patience:
            kept = [stopped(val, patience) for val, _ in runs]
            cells = [f"{m[k]:.3f} ({k})" for (_, m), (k, _) in zip(runs, kept, strict=True)]
            means = np.mean([m[k] for (_, m), (k, _) in zip(runs, kept, strict=True)])
            ran = sum(r for _, r in kept)
            totals[patience] += ran
            print(
                f"{spec.name:18} patience {patience:3d}: {' / '.join(cells)}  mean {means:.3f}"
                f"  epochs {ran}",
                flush=True,
            )
    for patience, ran in totals.items():
        share = ran / totals[longest]
        print(f"patience {patience:3d}: {ran} epochs in all, {share:.2f} of {longest}'s")


if __name__ == "__main__":
    main()
