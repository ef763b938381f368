"""Stacked LSTM forecasters from YAML configs on CSV time series."""

__version__ = "0.1.0"
