"""Options shared by several commands."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import click

from creditline.errors import InputError


def format_option(choices: Sequence[str]) -> Callable[[Any], Any]:
    return click.option("--format", "fmt", type=click.Choice(list(choices)), default=None,
                        help="Output format (default: table on a terminal, json otherwise).")


output_option = click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
                             help="Write the output to this file instead of stdout.")


def write_output(text: str, output: str | None) -> None:
    if output is None:
        click.echo(text, nl=False)
        return
    path = Path(output)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as err:
        raise InputError(f"cannot write {output}: {err.strerror}", hint="choose a writable path") from err
