"""The config users write: its schema (``schema``), and the one place it is read (``load``)."""

from .load import load_config, raw_config, validate_config
from .schema import (
    Config,
    DataConfig,
    EvaluationConfig,
    MissingPolicy,
    ModelConfig,
    OutputConfig,
    PreprocessingConfig,
    SplitConfig,
    TrainingConfig,
    TuningConfig,
    WindowConfig,
)

__all__ = [
    "Config",
    "DataConfig",
    "EvaluationConfig",
    "MissingPolicy",
    "ModelConfig",
    "OutputConfig",
    "PreprocessingConfig",
    "SplitConfig",
    "TrainingConfig",
    "TuningConfig",
    "WindowConfig",
    "load_config",
    "raw_config",
    "validate_config",
]
