"""Load policy TOML files (or the packaged ready-made policies) into validated values."""

from __future__ import annotations

import tomllib
from importlib.resources import files
from pathlib import Path

from creditline.core.policy import Policy, parse_policy
from creditline.errors import PolicyError

POLICY_DIR = "data/policies"


def builtin_policies() -> tuple[str, ...]:
    """Names of the ready-made policies shipped with creditline (``commercial``, ...)."""
    folder = files("creditline").joinpath(POLICY_DIR)
    return tuple(sorted(p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")))


def _read(path: str) -> tuple[str, str]:
    """(text, source) of a policy path or ready-made name."""
    file = Path(path)
    if not file.exists() and path in builtin_policies():
        resource = files("creditline").joinpath(f"{POLICY_DIR}/{path}.toml")
        return resource.read_text(encoding="utf-8"), path
    hint = f"give a TOML file or one of: {', '.join(builtin_policies())}"
    if not file.exists():
        raise PolicyError(f"policy not found: {path}", problems=("file not found",), source=path, hint=hint)
    try:
        return file.read_text(encoding="utf-8"), path
    except (OSError, UnicodeDecodeError) as err:
        raise PolicyError(f"cannot read policy {path}: {err}", problems=(str(err),), source=path,
                          hint=hint) from err


def load_policy(path: str) -> Policy:
    """Load and validate a policy: a TOML file path, or the name of a ready-made policy.

    :raises PolicyError: the file is missing or unreadable, not valid TOML (the message gives
        the line), or the policy is invalid (every problem listed at once).
    """
    text, source = _read(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise PolicyError(f"policy {source} is not valid TOML: {err}", problems=(f"not valid TOML: {err}",),
                          source=source) from err
    return parse_policy(data, source)
