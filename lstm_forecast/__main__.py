"""``python -m lstm_forecast``."""

from .cli import main

main()
