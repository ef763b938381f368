"""Data files to validated series, split by time, cut into windows (pandas, numpy)."""

from .load import load_dataset, load_frame
from .series import Dataset, Series

__all__ = ["Dataset", "Series", "load_dataset", "load_frame"]
