"""`creditline audit` and `creditline filter`: a dataset's licenses, duplicates and opt-outs,
and the subset a policy allows."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import click

from creditline import dataset_api
from creditline.cli.options import format_option, output_option, write_output
from creditline.cli.scan import _progress_bar
from creditline.config import builtin_policies, load_policy
from creditline.errors import UsageError
from creditline.render import render

_POLICY_HELP = f"a policy TOML file or a ready-made policy ({', '.join(builtin_policies())})"


def dataset_options(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Column choices, opt-out checks, catalog, jobs and progress: shared by audit, filter and notice."""
    options = [
        click.option("--text-column", default=None, help="Column holding the text (default: detected)."),
        click.option("--id-column", default=None, help="Column holding a row id."),
        click.option("--license-column", default=None, help="Column holding the declared license."),
        click.option("--url-column", default=None, help="Column holding the source URL."),
        click.option("--author-column", default=None, help="Column holding the author."),
        click.option("--title-column", default=None, help="Column holding the title."),
        click.option("--optout/--no-optout", "optout_network", default=False, show_default=True,
                     help="Check opt-out signals of rows with a URL over the network (robots.txt, ai.txt, "
                          "TDMRep; once per site, cached)."),
        click.option("--offline", is_flag=True, help="Opt-out checks from the HTTP cache only."),
        click.option("--registry", type=click.Path(exists=True, dir_okay=False), default=None,
                     help="An opt-out registry file (domains, repositories, authors)."),
        click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
                     help="Processes that scan rows, this one included (it also reads the dataset and "
                          "finds duplicates)."),
        click.option("--progress/--no-progress", default=None, help="Progress display (default: on a terminal)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _columns(kw: dict[str, Any]) -> dataset_api.Columns:
    return dataset_api.Columns(text=kw.pop("text_column"), id=kw.pop("id_column"), license=kw.pop("license_column"),
                               url=kw.pop("url_column"), author=kw.pop("author_column"),
                               title=kw.pop("title_column"))


def _optouts(kw: dict[str, Any]) -> dataset_api.OptOutOptions:
    return dataset_api.OptOutOptions(network=kw.pop("optout_network"), offline=kw.pop("offline"),
                                     registry=kw.pop("registry"))


def common(kw: dict[str, Any]) -> dict[str, Any]:
    """The keyword arguments of the dataset API from the shared options (popped from ``kw``)."""
    return {"columns": _columns(kw), "optouts": _optouts(kw), "jobs": kw.pop("jobs")}


def _progress(enabled: bool | None) -> tuple[Any, Callable[[], None]]:
    return _progress_bar(sys.stderr.isatty() if enabled is None else enabled)


@click.command()
@click.argument("dataset", type=click.Path(exists=True))
@dataset_options
@click.option("--policy", "policy_path", metavar="FILE|NAME", default=None,
              help=f"Decide every row with {_POLICY_HELP}.")
@click.option("--catalog", default=None, help="Also report rows that reproduce works of this catalog.")
@click.option("--rows", "rows_out", type=click.Path(dir_okay=False), default=None,
              help="Write every row's result to this Parquet file.")
@click.option("--html", "html_out", type=click.Path(dir_okay=False), default=None,
              help="Also write a self-contained HTML report with charts to this file.")
@format_option(("table", "json", "markdown", "html"))
@output_option
def audit(dataset: str, policy_path: str | None, catalog: str | None, rows_out: str | None, html_out: str | None,
          fmt: str | None, output: str | None, **kw: Any) -> None:
    """Audit DATASET (JSON Lines, CSV, Parquet, a Hugging Face save_to_disk directory): per row,
    declared and detected licenses, copyrights, obligations, duplicates and opt-outs; for the
    set, the license mix.

    Exit codes: 0 done; 2 usage error, unknown column or invalid policy; 3 unreadable dataset.
    """
    policy = load_policy(policy_path) if policy_path else None
    update, stop = _progress(kw.pop("progress"))
    try:
        report = dataset_api.audit(dataset, policy=policy, catalog=catalog, rows_out=rows_out, progress=update,
                                   **common(kw))
    finally:
        stop()
    if html_out:
        write_output(render("audit", "html", report), html_out)
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    write_output(render("audit", fmt, report), output)


@click.command("filter")
@click.argument("dataset", type=click.Path(exists=True))
@click.option("--policy", "policy_path", metavar="FILE|NAME", required=True, help=f"Keep the rows allowed by {_POLICY_HELP}.")
@click.option("--out", "-o", "out", type=click.Path(), default=None,
              help="Where the kept rows go, in the input's format (default: <name>.filtered.<ext> beside it); "
                   "dropped rows and why go to OUT.exclusions.jsonl.")
@dataset_options
@click.option("--catalog", default=None, help="Also record rows that reproduce works of this catalog.")
@click.option("--rows", "rows_out", type=click.Path(dir_okay=False), default=None,
              help="Write every row's result to this Parquet file.")
@click.option("--report", "report_out", type=click.Path(dir_okay=False), default=None,
              help="Write the audit report (JSON) of the run to this file.")
@format_option(("table", "json", "markdown"))
def filter_(dataset: str, policy_path: str, out: str | None, catalog: str | None, rows_out: str | None,
            report_out: str | None, fmt: str | None, **kw: Any) -> None:
    """Write the rows of DATASET that --policy allows, and list every dropped row with its reasons.

    Every input row ends up in exactly one of OUT and OUT.exclusions.jsonl; both are written to
    temporary files and appear only when the run completes.

    Exit codes: 0 done; 2 usage error or invalid policy; 3 unreadable dataset or unwritable output.
    """
    policy = load_policy(policy_path)
    output = dataset_api.default_output(dataset, out)
    if output == "-":
        raise UsageError("filter writes a dataset file; give -o PATH", hint="for instance -o kept.jsonl")
    update, stop = _progress(kw.pop("progress"))
    try:
        report = dataset_api.filter_dataset(dataset, output, policy=policy, catalog=catalog, rows_out=rows_out,
                                            progress=update, **common(kw))
    finally:
        stop()
    if report_out:
        write_output(render("audit", "json", report), report_out)
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    if fmt == "table":
        click.echo(f"kept {report.kept} row(s) -> {output}")
        click.echo(f"dropped {report.dropped} row(s) -> {output}.exclusions.jsonl"
                   + (f" ({', '.join(f'{k}: {v}' for k, v in report.drop_reasons.items())})"
                      if report.drop_reasons else ""))
    else:
        write_output(render("audit", fmt, report), None)
