"""`creditline trace`: which catalogued works an input copies, under which licenses."""

from __future__ import annotations

import sys

import click

from creditline import trace_api
from creditline.cli.index import catalog_option
from creditline.cli.options import format_option, output_option, write_output
from creditline.config import builtin_policies, load_policy
from creditline.model import TraceReport
from creditline.render import render


def _table(report: TraceReport) -> str:
    lines = [f"policy: {report.policy}"] if report.policy else []
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
            if m.decision is not None:
                lines += [f"    VIOLATION: {reason}" for reason in m.decision.reasons]
                lines += [f"    note: {note}" for note in m.decision.notes]
        if r.violations:
            lines.append(f"  {len(r.violations)} policy violation(s)")
    return "\n".join(lines) + "\n"


@click.command()
@click.argument("inputs", nargs=-1, required=True)
@catalog_option
@click.option("--min-tokens", type=click.IntRange(1), default=trace_api.MIN_TOKENS, show_default=True,
              help="Shortest copied run reported, in tokens.")
@click.option("--max-df", type=click.IntRange(1), default=trace_api.MAX_DF, show_default=True,
              help="Fingerprints found in more works than this (boilerplate, license headers) are never "
                   "evidence on their own; they only extend spans anchored by rarer ones.")
@click.option("--policy", "policy_path", metavar="FILE|NAME", default=None,
              help=f"Check every match against a policy TOML file or a ready-made policy "
                   f"({', '.join(builtin_policies())}); any violation exits 1.")
@format_option(("table", "json", "sarif", "html"))
@output_option
@click.pass_context
def trace(ctx: click.Context, inputs: tuple[str, ...], catalog: str | None, min_tokens: int, max_df: int,
          policy_path: str | None, fmt: str | None, output: str | None) -> None:
    """Find the spans of INPUTS (files or - for stdin) that appear in catalogued works.

    Exit codes: 0 done (matches or not, no policy violation); 1 a match violates --policy;
    2 usage error or invalid policy; 3 input or catalog error.
    """
    policy = load_policy(policy_path) if policy_path else None
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    report = trace_api.trace(list(inputs), catalog=catalog, min_tokens=min_tokens, max_df=max_df, policy=policy,
                             keep_text=fmt == "html")
    write_output(_table(report) if fmt == "table" else render("trace", fmt, report), output)
    if report.violated:
        ctx.exit(1)
