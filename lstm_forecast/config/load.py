"""Read a config: YAML file, ``--set section.key=value`` overrides, paths resolved against
the config's folder, then validated into a frozen ``Config``; every problem becomes one
``ConfigError`` line naming the file (or ``--set`` item) and the key."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from ..errors import ConfigError
from .safe_yaml import parse_yaml, read_yaml_mapping
from .schema import Config

# Keys holding paths: relative values are resolved against the config file's folder,
# or against the working directory when they come from --set.
_PATH_KEYS = (
    ("data", "path"),
    ("output", "dir"),
    ("training", "tensorboard"),
    ("training", "init_from"),
)


def load_config(path: str | Path, overrides: Iterable[str] = ()) -> Config:
    """Read, override, resolve and validate a config file.

    Args:
        path: the YAML file.
        overrides: ``section.key=value`` strings; values are parsed as YAML (``32`` is a
            number, ``[32, 16]`` a list, ``null`` nothing).

    Raises:
        ConfigError: naming the file (or the ``--set`` item) and the key at fault.
    """
    overrides = list(overrides)
    return validate_config(raw_config(path, overrides), where=str(path), overrides=overrides)


def raw_config(path: str | Path, overrides: Iterable[str] = ()) -> dict[str, Any]:
    """The config as ``load_config`` reads it (overrides applied, paths resolved,
    ``output.dir`` filled in), not yet validated: cheap, no pandas."""
    path = Path(path)
    return _completed(read_yaml_mapping(path), path, overrides)


def config_from_text(text: str, path: Path) -> Config:
    """The config ``text`` would be as the file ``path`` (its relative paths resolved
    against ``path``'s folder), before that file exists: ``init`` checks what it writes."""
    raw = parse_yaml(text)
    if not isinstance(raw, dict):
        raise ConfigError("the config must be a mapping of sections", where=path)
    return validate_config(_completed(raw, path, ()), where=str(path))


def _completed(raw: dict[str, Any], path: Path, overrides: Iterable[str]) -> dict[str, Any]:
    raw.setdefault("name", path.stem)
    _resolve_paths(raw, path.parent)
    for item in overrides:
        _apply_override(raw, item)
    if raw.get("output") is None:
        raw["output"] = {}
    if isinstance(raw["output"], dict) and raw["output"].get("dir") is None:
        # Beside the config, as data.path is read: the same command run from any folder
        # writes the same bundle.
        raw["output"]["dir"] = str(path.parent.resolve() / "runs" / str(raw["name"]))
    return raw


def validate_config(raw: Mapping[str, Any], *, where: str, overrides: Iterable[str] = ()) -> Config:
    """``raw`` as a ``Config``. A problem is blamed on ``where`` (the config file), or on
    the ``--set`` item of ``overrides`` that set the key at fault."""
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        loc, message = _first_problem(exc)
        for item in overrides:
            keys = tuple(item.partition("=")[0].strip().split("."))
            if loc[: len(keys)] == keys:
                where = f"--set {item}"
        raise ConfigError(message, where=where) from None


def _resolve_paths(raw: dict[str, Any], base: Path) -> None:
    for section, key in _PATH_KEYS:
        part = raw.get(section)
        if isinstance(part, dict) and isinstance(part.get(key), str):
            part[key] = resolved(base / Path(part[key]).expanduser(), f"{section}.{key}")


def resolved(path: Path, where: str) -> str:
    """``path`` made absolute, its links followed; a link that leads back to itself is
    an input to fix (``where`` names the key or option that gave it)."""
    try:
        return str(path.resolve())
    except (RuntimeError, OSError) as exc:  # Python 3.11 raises RuntimeError on a loop
        raise ConfigError(
            f"{path}: a symbolic link that leads back to itself ({exc}); point it at the file",
            where=where,
        ) from None


def _apply_override(raw: dict[str, Any], item: str) -> None:
    where = f"--set {item}"
    key, sep, text = item.partition("=")
    keys = key.strip().split(".")
    if not sep or not all(keys):
        raise ConfigError("expected section.key=value (e.g. training.epochs=5)", where=where)
    _check_key_path(keys, where)
    try:
        value = parse_yaml(text) if text.strip() else None
    except yaml.YAMLError:
        raise ConfigError(f"cannot parse value {text!r}", where=where) from None
    if tuple(keys) in _PATH_KEYS and isinstance(value, str):
        value = resolved(Path(value).expanduser(), where)
    node = raw
    for part in keys[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[keys[-1]] = value


def _check_key_path(keys: list[str], where: str) -> None:
    model: type[BaseModel] | None = Config
    for depth, key in enumerate(keys):
        if model is None:
            raise ConfigError(f"'{'.'.join(keys[:depth])}' has no sub-keys", where=where)
        if key not in model.model_fields:
            raise ConfigError(_unknown_key(keys[: depth + 1], model), where=where)
        annotation = model.model_fields[key].annotation
        is_section = isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation if is_section else None  # type: ignore[assignment]
    if model is not None:
        raise ConfigError(f"'{'.'.join(keys)}' is a section; set one of its keys", where=where)


def _fields_at(loc: tuple[str, ...]) -> list[str]:
    model: type[BaseModel] = Config
    for key in loc:
        annotation = model.model_fields[key].annotation if key in model.model_fields else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return []
        model = annotation
    return list(model.model_fields)


def _unknown_key(keys: list[str], model: type[BaseModel] | None = None) -> str:
    known = list(model.model_fields) if model is not None else _fields_at(tuple(keys[:-1]))
    hint = difflib.get_close_matches(keys[-1], known, n=1)
    message = f"unknown key '{'.'.join(keys)}'"
    if hint:
        return f"{message} (did you mean '{hint[0]}'?)"
    return f"{message} (known keys: {', '.join(known)})" if known else message


def _first_problem(exc: ValidationError) -> tuple[tuple[str, ...], str]:
    """Where the first problem is, and one line for it; pydantic's union branches are
    folded together. An unknown key comes before anything else: a misspelt required key
    is also reported missing, and the misspelling is what the user has to fix."""
    errors = exc.errors(include_url=False)
    unknown = [e for e in errors if e["type"] == "extra_forbidden"]
    first = unknown[0] if unknown else errors[0]
    loc = _clean_loc(first["loc"])
    return loc, _describe(errors, first, loc)


def _describe(errors: list[ErrorDetails], first: ErrorDetails, loc: tuple[str, ...]) -> str:
    if first["type"] == "extra_forbidden":
        return _unknown_key(list(loc))
    if first["type"] == "missing":
        return f"missing required key '{'.'.join(loc)}'"
    messages = [e["msg"] for e in errors if _clean_loc(e["loc"]) == loc]
    what = " or ".join(dict.fromkeys(m[0].lower() + m[1:] for m in messages))
    what = what.replace("value error, ", "")
    got = first.get("input")
    hint = ""
    if isinstance(got, bool):
        hint = "; YAML reads yes/no/on/off/true/false as booleans: quote the value"
    shown = "" if isinstance(got, dict) else f" (got {_short_repr(got)})"
    more = len({_clean_loc(e["loc"]) for e in errors}) - 1
    tail = f" (and {more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{'.'.join(loc) or 'config'}: {what}{shown}{hint}{tail}"


def _short_repr(value: object) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_PYDANTIC_BRANCHES = {
    "str",
    "int",
    "float",
    "bool",
    "list[str]",
    "literal['auto']",
    "constrained-int",
    "constrained-float",
}


def _clean_loc(loc: tuple[int | str, ...]) -> tuple[str, ...]:
    """Drop the union-branch names pydantic puts in locations (``split.validation.float``)."""
    return tuple(
        str(p)
        for p in loc
        if not isinstance(p, int)
        and str(p).lower() not in _PYDANTIC_BRANCHES
        and "[" not in str(p)
        and not str(p).startswith("function-")
    )
