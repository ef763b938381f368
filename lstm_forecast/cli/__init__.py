"""The command line: parse arguments, call one workflow, print its result."""

from .app import cli, main

__all__ = ["cli", "main"]
