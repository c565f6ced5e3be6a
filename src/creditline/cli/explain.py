"""`creditline explain EXPR`: what a license expression requires, and how to credit a work."""

from __future__ import annotations

import json
import sys

import click

from creditline import api
from creditline.cli.options import format_option, output_option, write_output
from creditline.render import render


@click.command()
@click.argument("expression", nargs=-1, required=True)
@format_option(("table", "json", "markdown"))
@output_option
@click.option("--title", help="Title of the work, for the credit line.")
@click.option("--author", help="Author of the work, for the credit line.")
@click.option("--source", help="Where the work is found (URL), for the credit line.")
def explain(expression: tuple[str, ...], fmt: str | None, output: str | None, title: str | None,
            author: str | None, source: str | None) -> None:
    """Print the obligations of an SPDX license EXPRESSION (e.g. "GPL-2.0-or-later OR MIT").

    For every license: attribution, notice preservation, share-alike (file, library, strong,
    network), non-commercial, no-derivatives, patent terms, source disclosure and a category.
    A credit line (Title, Author, Source, License, as Creative Commons recommends) follows.
    """
    expr = " ".join(expression)
    obligations = api.explain(expr)
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    line = api.credit(expr, title=title, author=author, source=source, fmt="markdown" if fmt == "markdown" else "text")
    if fmt == "json":
        doc = {"expression": expr, "obligations": [o.to_dict() for o in obligations], "credit_line": line}
        write_output(json.dumps(doc, indent=2, ensure_ascii=False) + "\n", output)
        return
    text = render("explain", fmt, obligations, color=sys.stdout.isatty() and not output)
    write_output(f"{text}\nCredit line: {line}\n", output)
