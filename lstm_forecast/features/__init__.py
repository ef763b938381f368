"""Features: scalers, calendar columns and window coding, fitted together as one
``Preprocessing`` that prepares data for training and inference (numpy; no TensorFlow)."""

from .pipeline import Preprocessing
from .prepared import Prepared

__all__ = ["Prepared", "Preprocessing"]
