"""Scores: metrics and baselines, the evaluation of a forecaster at chosen origins, and the
results of a backtest or a tuning search (numpy, pandas; no TensorFlow)."""
