"""The YAML schema users write, as pydantic models: every key, its type and its default.

``config.load`` reads files into these; docs/config.md describes each key, and a test keeps
the two in step. Nothing downstream re-checks what is checked here.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..errors import ConfigError
from .fields import check_freq, check_time_format

PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]

MissingPolicy = Literal["error", "drop", "ffill", "interpolate"]
CalendarFeature = Literal["hour", "weekday", "day_of_month", "month", "day_of_year"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")

# The forecasts the network can correct (features/baselines.py says what each is).
Baseline = Literal[
    "none",
    "naive",
    "seasonal_naive",
    "ses",
    "theta",
    "seasonal_ses",
    "seasonal_theta",
    "smoothing",
]


class _Section(BaseModel):
    # strict: YAML's `"32"` is text, not a number, and `no` is a boolean, not a column name.
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class DataConfig(_Section):
    path: Path = Field(strict=False)
    time_column: str
    target: str | list[str]
    features: list[str] = []
    # Numeric columns known ahead for the forecast horizon too (promotions, holidays,
    # planned prices): windows carry their values over the lookback and the horizon.
    future_features: list[str] = []
    id_column: str | None = None
    # Numeric columns constant within each series (store size, region code...): every
    # window of the series carries them as inputs, so one global model can tell series apart.
    static_features: list[str] = []
    freq: str | None = None
    # How the time column is written, as a strftime format ("%d.%m.%Y"), where it is not
    # ISO 8601, quarters (1970Q1) or decimal years (1960.25), which are read without it.
    time_format: str | None = None
    missing: MissingPolicy = "error"
    # Cyclic (sin, cos) encodings of the timestamps, added as input columns. auto: the
    # place in each daily, weekly or yearly cycle longer than the window (features/calendar.py).
    calendar_features: Literal["auto"] | list[CalendarFeature] = "auto"
    # Refuse a larger file before reading it (null: no cap): a runaway export must not
    # exhaust the memory of the machine a cron job shares.
    max_file_mb: PositiveInt | None = 4096
    max_rows: PositiveInt | None = 50_000_000
    # Refuse a file with a series shorter than this (null: series too short to train on
    # are skipped with a warning, as long as one series is long enough).
    min_series_length: PositiveInt | None = None

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.target,) if isinstance(self.target, str) else tuple(self.target)

    @property
    def value_columns(self) -> tuple[str, ...]:
        """Targets first, then features, then future features: the column order of every
        array downstream."""
        return self.targets + tuple(self.features) + tuple(self.future_features)

    @field_validator("target")
    @classmethod
    def _targets_not_empty(cls, target: str | list[str]) -> str | list[str]:
        if not target:
            raise ValueError("needs at least one column name")
        return target

    @field_validator("freq")
    @classmethod
    def _known_freq(cls, freq: str | None) -> str | None:
        return None if freq is None else check_freq(freq)

    @field_validator("time_format")
    @classmethod
    def _strftime_format(cls, time_format: str | None) -> str | None:
        return None if time_format is None else check_time_format(time_format)

    @model_validator(mode="after")
    def _columns_distinct(self) -> DataConfig:
        names = [self.time_column, *self.value_columns, *self.static_features]
        if self.id_column is not None:
            names.append(self.id_column)
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(
                f"column {repeated[0]!r} is named more than once across "
                "time_column, target, features, future_features, static_features and id_column"
            )
        return self


class WindowConfig(_Section):
    lookback: PositiveInt
    horizon: PositiveInt
    stride: PositiveInt = 1


class SplitConfig(_Section):
    """Each part is a fraction of the series' length (float) or a number of steps (int)."""

    validation: float | int = 0.1
    test: float | int = 0

    @field_validator("validation", "test")
    @classmethod
    def _fraction_or_steps(cls, size: float | int) -> float | int:
        if isinstance(size, float) and not 0.0 < size < 1.0:
            raise ValueError(
                "a fraction must lie strictly between 0 and 1 "
                "(write a whole number for a count of steps)"
            )
        if isinstance(size, int) and size < 0:
            raise ValueError("a number of steps must be 0 or more")
        return size

    @model_validator(mode="after")
    def _fractions_leave_training_data(self) -> SplitConfig:
        fractions = [p for p in (self.validation, self.test) if isinstance(p, float)]
        if sum(fractions) >= 1.0:
            raise ValueError("validation and test fractions leave nothing to train on")
        return self


class PreprocessingConfig(_Section):
    scaler: Literal["standard", "minmax", "none"] = "standard"
    # Take the log of the targets first: true (every target value must be positive),
    # false, or auto (when every target value in the data is positive).
    log: Literal["auto"] | bool = "auto"
    # Subtract each input window's own level (its last value or its mean) from the window
    # and its targets: the network sees shapes, not levels, so trends extrapolate.
    # auto: the mean when the baseline is a seasonal one (a level free of the season's
    # phase), else the last value.
    window_norm: Literal["auto", "none", "last", "mean"] = "auto"
    # Divide each window's targets by their standard deviation over the typical training
    # window's (std), so cycles taller than the train part's look like the ones learned.
    # Why it is the default: CHANGES.md.
    window_scale: Literal["none", "std"] = "std"


class ModelConfig(_Section):
    cell: Literal["lstm", "gru"] = "lstm"
    layers: Annotated[list[PositiveInt], Field(min_length=1)] = [64, 64]
    dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.1
    recurrent_dropout: Annotated[float, Field(ge=0.0, lt=1.0)] = 0.0
    bidirectional: bool = False
    dense: list[PositiveInt] = []
    # The network predicts a correction to this forecast, not the values themselves
    # (features/baselines.py). auto: chosen on the training windows (docs/config.md).
    baseline: Literal["auto"] | Baseline = "auto"
    # Quantiles to predict with the pinball loss (must include 0.5, the point forecast).
    quantiles: list[float] = []
    # Width of a learned vector per series (long format), joined to the recurrent layers'
    # output: one global model can learn what sets each series apart. 0: none.
    series_embedding: NonNegativeInt = 0
    # Feed the recurrent layers one whole season per step (a day of hourly rows) instead
    # of one row. auto: when the baseline is a seasonal one and the lookback holds two
    # seasons or more; else a long window in patches of rows (docs/config.md).
    fold: Literal["auto"] | bool = "auto"
    # A linear forecast from the window's targets added to the network's (docs/config.md).
    linear_skip: Literal["auto"] | bool = "auto"
    # What the bundle serves beside the network: auto chooses on validation (docs/config.md).
    serve: Literal["auto", "network", "smoothing", "mean"] = "auto"

    @field_validator("quantiles")
    @classmethod
    def _quantiles_with_median(cls, quantiles: list[float]) -> list[float]:
        if not quantiles:
            return quantiles
        if any(not 0.0 < q < 1.0 for q in quantiles):
            raise ValueError("each quantile must lie strictly between 0 and 1")
        if sorted(set(quantiles)) != quantiles or 0.5 not in quantiles:
            raise ValueError("list distinct quantiles in increasing order, including 0.5")
        return quantiles


class TrainingConfig(_Section):
    epochs: PositiveInt = 200
    # Windows per batch. auto: 32, or 128 above AUTO_EPOCH_WINDOWS training windows.
    batch_size: Literal["auto"] | PositiveInt = "auto"
    # Batches per epoch, drawn at random from all training windows (null: one pass over
    # every window). auto: one pass, or AUTO_EPOCH_WINDOWS windows when there are more.
    steps_per_epoch: Literal["auto"] | PositiveInt | None = "auto"
    # adamw: Adam with Keras' decoupled weight decay. Why it is the default: CHANGES.md.
    optimizer: Literal["adam", "adamw", "rmsprop", "sgd"] = "adamw"
    learning_rate: Annotated[float, Field(gt=0.0, le=10.0)] = 0.001
    # mae: the median forecast, which MASE and sMAPE reward. Why it is the default: CHANGES.md.
    loss: Literal["mse", "mae", "huber"] = "mae"
    # Epochs without a lower validation loss before training stops. Why 10: CHANGES.md.
    early_stopping_patience: NonNegativeInt = 10
    # Halve the learning rate after this many epochs without improvement (0: never).
    reduce_lr_patience: NonNegativeInt = 0
    seed: NonNegativeInt = 42
    # TensorFlow's deterministic kernels: the same seed and data give the same weights
    # on the same kind of CPU (kernels, and so rounding, differ between CPUs).
    # Off, training may run faster (on GPUs especially) but repeat runs differ slightly.
    deterministic: bool = True
    # Train this many networks (seeds seed, seed+1, ...) and average their forecasts.
    ensemble: Annotated[int, Field(ge=1, le=32)] = 1
    # Write TensorBoard logs (losses and learning rate per epoch) under this folder.
    tensorboard: Path | None = Field(default=None, strict=False)
    # Warm start: train from this bundle's network, keeping its scalers and coding.
    init_from: Path | None = Field(default=None, strict=False)
    # none: this process only; mirrored: every local GPU (one replica per GPU);
    # multi_worker: every machine TF_CONFIG names. batch_size is global, split over replicas.
    distribute: Literal["none", "mirrored", "multi_worker"] = "none"
    # MiB the data's rows may take while training; past it they are kept in files (TMPDIR)
    # and a Parquet file is read a chunk of series at a time (null: in memory, any size).
    memory_budget_mb: PositiveInt | None = None


class EvaluationConfig(_Section):
    season_length: Literal["auto"] | PositiveInt = "auto"


Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]
LearningRate = Annotated[float, Field(gt=0.0, le=10.0)]


class TuningConfig(_Section):
    """What ``lstm-forecast tune`` searches: each list holds the values to try (an empty
    list keeps the config's own value). The config's own values are always tried first."""

    max_trials: PositiveInt = 10
    # val_loss: the best validation loss of the trial's training. backtest_mase: the mean
    # model MASE of a backtest over `folds` horizons (one training per trial, as backtest).
    objective: Literal["val_loss", "backtest_mase"] = "val_loss"
    folds: PositiveInt = 3
    layers: list[PositiveInt] = [1, 2]  # how many recurrent layers
    units: list[PositiveInt] = [32, 64, 128]  # units in each of them
    dropout: list[Fraction] = [0.0, 0.1, 0.2]
    learning_rate: list[LearningRate] = [0.0003, 0.001, 0.003]
    lookback: list[PositiveInt] = []


class OutputConfig(_Section):
    dir: Path | None = Field(default=None, strict=False)


class Config(_Section):
    name: str
    data: DataConfig
    window: WindowConfig
    split: SplitConfig = SplitConfig()
    preprocessing: PreprocessingConfig = PreprocessingConfig()
    model: ModelConfig = ModelConfig()
    training: TrainingConfig = TrainingConfig()
    evaluation: EvaluationConfig = EvaluationConfig()
    tuning: TuningConfig = TuningConfig()
    output: OutputConfig = OutputConfig()

    @field_validator("name")
    @classmethod
    def _safe_name(cls, name: str) -> str:
        if not _NAME.match(name):
            raise ValueError("use letters, digits, '.', '_' and '-' only (it names the run)")
        return name

    @model_validator(mode="after")
    def _parts_hold_whole_horizons(self) -> Config:
        horizon = self.window.horizon
        for name, size in (("validation", self.split.validation), ("test", self.split.test)):
            if isinstance(size, int) and 0 < size < horizon:
                raise ValueError(
                    f"split.{name} is {size} steps, shorter than window.horizon ({horizon}): "
                    f"a part is scored in whole forecasts; set split.{name} to 0 or at "
                    f"least {horizon}"
                )
        return self

    @property
    def run_dir(self) -> Path:
        """Where the bundle goes; ``load_config`` always fills ``output.dir``."""
        if self.output.dir is None:
            raise ConfigError("output.dir is not resolved; build configs with load_config")
        return self.output.dir

    def to_yaml(self) -> str:
        return yaml.safe_dump(self.model_dump(mode="json"), sort_keys=False)
