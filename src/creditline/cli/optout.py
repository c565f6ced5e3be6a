"""`creditline optout`: AI opt-out signals of URLs and local files."""

from __future__ import annotations

import sys

import click

from creditline import optout_api
from creditline.cli.options import format_option, output_option, write_output
from creditline.model import AI_CRAWLER_USES
from creditline.render import render


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="URL|FILE...")
@click.option("--offline", is_flag=True, help="Use only the HTTP cache; a URL not in it is reported as an error.")
@click.option("--registry", type=click.Path(dir_okay=False), default=None,
              help="An opt-out registry TOML file (domains, repositories, authors) to match targets against.")
@click.option("--author", default=None, help="Author of the targets, matched against the registry's authors.")
@click.option("--agent", "agents", multiple=True, metavar="TOKEN",
              help="Check this user-agent token (repeatable); default: every AI crawler creditline knows.")
@click.option("--use", "uses", multiple=True, type=click.Choice(AI_CRAWLER_USES),
              help="Check only the known crawlers of this use (repeatable): training, search, user or other.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=optout_api.DEFAULT_TIMEOUT,
              show_default=True, metavar="S", help="Seconds to connect and for each read of a request.")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="HTTP cache folder (default: $CREDITLINE_CACHE_DIR or ~/.cache/creditline/http).")
@format_option(("table", "json"))
@output_option
@click.pass_context
def optout(ctx: click.Context, targets: tuple[str, ...], offline: bool, registry: str | None, author: str | None,
           agents: tuple[str, ...], uses: tuple[str, ...], timeout: float, cache_dir: str | None, fmt: str | None,
           output: str | None) -> None:
    """Check URLs and files for AI opt-out signals.

    A URL's site is checked for robots.txt rules for AI crawlers, Spawning's ai.txt and the W3C
    TDM Reservation Protocol (/.well-known/tdmrep.json), and the page itself for tdm-reservation
    and X-Robots-Tag headers and noai / tdm-reservation meta tags. A FILE (robots.txt, ai.txt,
    tdmrep.json, an HTML page or a registry) is read directly. Responses are cached for a day.

    Exit codes: 0 no target is opted out; 1 at least one target is opted out; 2 usage error or
    invalid registry; 3 no target could be checked (network errors, offline cache misses).
    """
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    report = optout_api.optout(list(targets), offline=offline, registry=registry, cache_dir=cache_dir,
                               timeout=timeout, agents=list(agents) or None, uses=list(uses) or None, author=author)
    write_output(render("optout", fmt, report), output)
    if report.opted_out:
        ctx.exit(1)
    if not report.checked:
        ctx.exit(3)
