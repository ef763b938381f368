"""The config users write: its schema (``schema``), and the one place it is read (``load``)."""

from .load import config_from_text, load_config, raw_config, validate_config
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
    "config_from_text",
    "load_config",
    "raw_config",
    "validate_config",
]
