"""One module per command, as plain functions the CLI calls and users can call from
Python: they read, train, score and write files, and return results; they never print.
``forecaster`` is the one path from data to a trained forecaster that ``train``,
``backtest`` and ``tune`` share; ``preflight`` the checks each makes before any work."""
