"""`creditline explain EXPR`: what a license expression requires."""

from __future__ import annotations

import sys

import click

from creditline import api
from creditline.cli.options import format_option, output_option, write_output
from creditline.render import render


@click.command()
@click.argument("expression", nargs=-1, required=True)
@format_option(("table", "json", "markdown"))
@output_option
def explain(expression: tuple[str, ...], fmt: str | None, output: str | None) -> None:
    """Print the obligations of an SPDX license EXPRESSION (e.g. "GPL-2.0-or-later OR MIT").

    For every license: attribution, notice preservation, share-alike (file, library, strong,
    network), non-commercial, no-derivatives, patent terms, source disclosure and a category.
    """
    obligations = api.explain(" ".join(expression))
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    write_output(render("explain", fmt, obligations, color=sys.stdout.isatty() and not output), output)
