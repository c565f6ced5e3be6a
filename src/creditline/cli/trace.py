"""`creditline trace`: which catalogued works an input copies, under which licenses."""

from __future__ import annotations

import json
import sys

import click

from creditline import trace_api
from creditline.cli.index import catalog_option
from creditline.cli.options import format_option, output_option, write_output
from creditline.model import TraceReport


def _table(report: TraceReport) -> str:
    lines = []
    for r in report.inputs:
        lines.append(f"{r.path}: {len(r.matches)} match(es), {r.covered:.0%} of {r.tokens} tokens found in the catalog")
        for m in r.matches:
            lines.append(f"  lines {m.input_start_line}-{m.input_end_line} <- {m.source} lines "
                         f"{m.source_start_line}-{m.source_end_line} ({m.kind}, {m.tokens} tokens) "
                         f"license {m.license or 'unknown'}")
            needs = sorted({f for o in m.obligations for f, on in (
                ("attribution", o.attribution), ("share-alike", bool(o.share_alike)),
                ("non-commercial", o.non_commercial), ("no-derivatives", o.no_derivatives),
                ("source disclosure", o.source_disclosure)) if on})
            if needs:
                lines.append(f"    requires: {', '.join(needs)}")
            lines.append(f"    credit: {m.credit_line}")
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@catalog_option
@click.option("--min-tokens", type=click.IntRange(1), default=trace_api.MIN_TOKENS, show_default=True,
              help="Shortest copied run reported, in tokens.")
@click.option("--max-df", type=click.IntRange(1), default=trace_api.MAX_DF, show_default=True,
              help="Ignore fingerprints found in more works than this (boilerplate, license headers).")
@format_option(("table", "json"))
@output_option
def trace(inputs: tuple[str, ...], catalog: str | None, min_tokens: int, max_df: int, fmt: str | None,
          output: str | None) -> None:
    """Find the spans of INPUTS (files or - for stdin) that appear in catalogued works.

    Exit codes: 0 done (matches or not); 2 usage error; 3 input or catalog error.
    """
    report = trace_api.trace(list(inputs), catalog=catalog, min_tokens=min_tokens, max_df=max_df)
    if (fmt or ("table" if sys.stdout.isatty() else "json")) == "json":
        write_output(json.dumps(report.to_dict(), ensure_ascii=False) + "\n", output)
    else:
        write_output(_table(report), output)
