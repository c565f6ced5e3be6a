"""`creditline notice`: attribution for every kept work, and SPDX, CycloneDX and provenance-card exports."""

from __future__ import annotations

import sys
from typing import Any

import click

from creditline import dataset_api
from creditline.cli.audit import _progress, common, dataset_options
from creditline.cli.options import write_output
from creditline.config import builtin_policies, load_policy
from creditline.render import render


@click.command()
@click.argument("source", type=click.Path(exists=True))
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write NOTICE.md here (default: stdout).")
@click.option("--policy", "policy_path", metavar="FILE|NAME", default=None,
              help=f"Credit only the rows a policy allows (a TOML file or {', '.join(builtin_policies())}).")
@click.option("--spdx", "spdx_out", type=click.Path(dir_okay=False), default=None,
              help="Also write an SPDX 2.3 JSON document here.")
@click.option("--cyclonedx", "cyclonedx_out", type=click.Path(dir_okay=False), default=None,
              help="Also write a CycloneDX 1.6 JSON BOM here.")
@click.option("--card", "card_out", type=click.Path(dir_okay=False), default=None,
              help="Also write a dataset provenance card (Markdown) here.")
@dataset_options
def notice(source: str, output: str | None, policy_path: str | None, spdx_out: str | None,
           cyclonedx_out: str | None, card_out: str | None, **kw: Any) -> None:
    """Attribution for SOURCE (a dataset, or a catalog directory): credit lines grouped by
    license, copyright statements kept, each license text once.

    Exit codes: 0 done; 2 usage error or invalid policy; 3 unreadable source or unwritable output.
    """
    policy = load_policy(policy_path) if policy_path else None
    update, stop = _progress(kw.pop("progress"))
    try:
        made = dataset_api.notice(source, policy=policy, progress=update, **common(kw))
    finally:
        stop()
    for fmt, path in (("spdx", spdx_out), ("cyclonedx", cyclonedx_out), ("card", card_out)):
        if path:
            write_output(render("notice", fmt, made), path)
    write_output(render("notice", "markdown", made), output)
    if output:
        click.echo(f"{len(made.works)} work(s) credited -> {output}", err=not sys.stderr.isatty())
