"""The docs say what the code does: docs/config.md lists every key of the schema, with its
default, and nothing else; the README stays short."""

from __future__ import annotations

import re
from typing import Any

import pytest
import yaml
from pydantic import BaseModel

from lstm_forecast.config import Config

from .helpers import REPO

CONFIG_DOC = REPO / "docs" / "config.md"
_ROW = re.compile(r"^\| `([a-z_.]+)` \| (.*?) \| ")


def documented() -> dict[str, str]:
    """Key -> its default cell, from the reference table."""
    rows = {}
    for line in CONFIG_DOC.read_text(encoding="utf-8").splitlines():
        match = _ROW.match(line)
        if match:
            assert match[1] not in rows, f"{match[1]} is documented twice"
            rows[match[1]] = match[2]
    return rows


def schema_fields(model: type[BaseModel] = Config, prefix: str = "") -> dict[str, Any]:
    """Every leaf key of the schema -> its pydantic field."""
    fields = {}
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            fields.update(schema_fields(annotation, f"{prefix}{name}."))
        else:
            fields[f"{prefix}{name}"] = field
    return fields


def test_every_schema_key_is_documented_and_nothing_else() -> None:
    keys, documented_keys = set(schema_fields()), set(documented())
    assert not keys - documented_keys, "in the schema, not in docs/config.md"
    assert not documented_keys - keys, "in docs/config.md, not in the schema"


@pytest.mark.parametrize("key", sorted(schema_fields()))
def test_the_documented_default_is_the_schemas(key: str) -> None:
    field, cell = schema_fields()[key], documented()[key]
    if cell == "required":
        assert field.is_required()
        return
    literal = re.fullmatch(r"`([^`]*)`", cell)
    if literal is None:
        return  # a default described in words (filled in when the config is read)
    assert not field.is_required()
    default = field.get_default(call_default_factory=True)
    assert yaml.safe_load(literal[1]) == default


def test_the_readme_reads_in_five_minutes() -> None:
    assert len((REPO / "README.md").read_text(encoding="utf-8").splitlines()) < 150


def test_the_readme_commands_write_only_under_the_ignored_runs_folder() -> None:
    # A quick start (the commands run in the clone) that leaves files in the clone's root
    # shows up in `git status`.
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = [line for line in readme.splitlines() if line.startswith("    uv run ")]
    written = re.findall(r"--(?:plot|output)\s+(\S+)", "\n".join(quick_start))
    assert written and all(path.startswith("runs/") for path in written), written
