"""Read YAML safely: ``yaml.safe_load`` semantics, duplicate keys refused, size capped,
and every error a one-line ``ConfigError`` with the line number."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from ..errors import ConfigError
from ..files import not_a_regular_file

MAX_CONFIG_BYTES = 1 << 20  # a config is a page of YAML; anything bigger is a mistake or an attack
# Values a config may hold once aliases are expanded: a few aliases multiply it ("billion
# laughs"), and a validator walking the expansion would never finish.
MAX_EXPANDED_VALUES = 100_000


class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key given twice in one mapping (PyYAML keeps the last)."""


def _construct_unique_mapping(loader: _UniqueKeyLoader, node: yaml.MappingNode) -> Any:
    first_line: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        line = key_node.start_mark.line + 1
        if key in first_line:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first at line {first_line[key]})",
                key_node.start_mark,
            )
        first_line[key] = line
    return loader.construct_yaml_map(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)
# YAML 1.2's floats with an exponent and no dot or no exponent sign (1e-3, 2.5e4), which
# PyYAML's YAML 1.1 rules read as text: a learning rate written 1e-3 is a number.
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$"),
    list("-+.0123456789"),
)


def parse_yaml(text: str) -> Any:
    """Parse YAML safely: no Python tags, no duplicate keys."""
    return yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader: no arbitrary objects


def read_yaml_mapping(path: Path) -> dict[str, Any]:
    why = not_a_regular_file(path)
    if why == "not found":
        raise ConfigError("config file not found", where=path)
    if why == "is a directory":
        raise ConfigError("is a directory, not a config file", where=path)
    if why is not None:  # a device or a pipe: reading it may never end
        raise ConfigError(why, where=path)
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(
                f"config file is {size} bytes; the limit is {MAX_CONFIG_BYTES}", where=path
            )
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError("config file is not UTF-8 text", where=path) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file: {exc.strerror}", where=path) from None
    try:
        loaded = parse_yaml(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = f"line {mark.line + 1}: " if mark is not None else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise ConfigError(f"{at}YAML error: {problem}", where=path) from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"YAML error: {exc}", where=path) from None
    expanded = _expanded_size(loaded, {})
    if expanded > MAX_EXPANDED_VALUES:
        raise ConfigError(
            f"the YAML expands to more than {MAX_EXPANDED_VALUES} values through its "
            "aliases (*name); refusing it",
            where=path,
        )
    if not isinstance(loaded, dict):
        raise ConfigError(
            "expected a mapping of sections (data:, window:, ...) at the top", where=path
        )
    return loaded


def _expanded_size(value: Any, sizes: dict[int, int]) -> int:
    """How many values ``value`` holds with every alias expanded. An alias is the same
    Python object reused, so sizes are memoised by identity: the count is computed in time
    linear in the file, however large the expansion."""
    if not isinstance(value, dict | list):
        return 1
    known = sizes.get(id(value))
    if known is None:
        children = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        known = 1 + sum(_expanded_size(child, sizes) for child in children)
        sizes[id(value)] = known
    return known
