"""`creditline index` and `creditline catalog`: build and inspect a catalog of works."""

from __future__ import annotations

import json
import sys

import click

from creditline import catalog_api
from creditline.cli.options import format_option, output_option, write_output
from creditline.cli.scan import _progress_bar

catalog_option = click.option("--catalog", "-c", metavar="DIR", default=None,
                              help="Catalog directory (default: $CREDITLINE_CATALOG or ./.creditline).")


@click.command()
@click.argument("paths", nargs=-1)
@catalog_option
@click.option("--meta", metavar="FILE", help="CSV or JSONL with path, title, author, source, license per work.")
@click.option("--remove", multiple=True, metavar="PATH", help="Remove the work at PATH (as indexed; repeatable).")
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True, help="Worker processes.")
@format_option(("table", "json"))
@output_option
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def index(paths: tuple[str, ...], catalog: str | None, meta: str | None, remove: tuple[str, ...], jobs: int,
          fmt: str | None, output: str | None, progress: bool | None) -> None:
    """Add the files under PATHS to a catalog: licenses, copyrights and fingerprints.

    Unchanged files are skipped, changed ones replace their old version; all changes appear at
    once when the run ends (an interrupted run leaves the catalog as it was).
    Exit codes: 0 done; 2 usage error; 3 input or catalog error (e.g. another index is running).
    """
    update, stop = _progress_bar(sys.stderr.isatty() if progress is None else progress)
    try:
        report = catalog_api.index(list(paths), catalog=catalog, meta=meta, remove=remove, jobs=jobs,
                                   progress=update)
    finally:
        stop()
    if (fmt or ("table" if sys.stdout.isatty() else "json")) == "json":
        write_output(json.dumps(report.to_dict(), ensure_ascii=False) + "\n", output)
        return
    s = report.stats
    lines = [f"catalog {report.catalog}: {s.get('works')} works, "
             f"{sum(s.get('postings', {}).values())} fingerprints, {s.get('bytes', 0) / 1e6:.1f} MB",
             f"added {len(report.added)}, updated {len(report.updated)}, unchanged {report.unchanged}, "
             f"removed {len(report.removed)}, skipped {len(report.skipped)}"]
    write_output("\n".join(lines) + "\n", output)


@click.group()
def catalog() -> None:
    """Inspect a catalog: info, list, show."""


@catalog.command("info")
@catalog_option
def catalog_info(catalog: str | None) -> None:
    """Size, parameters and format version of a catalog (JSON)."""
    click.echo(json.dumps(catalog_api.catalog_stats(catalog), indent=2))


@catalog.command("list")
@catalog_option
def catalog_list(catalog: str | None) -> None:
    """One line per work: id, license, path."""
    for w in catalog_api.catalog_works(catalog):
        click.echo(f"{w.id}\t{w.license or '-'}\t{w.root}/{w.path}" if w.root != "-" else f"{w.id}\t{w.license}\t-")


@catalog.command("show")
@click.argument("path")
@catalog_option
def catalog_show(path: str, catalog: str | None) -> None:
    """Everything the catalog knows about the work at PATH (JSON)."""
    works = [w for w in catalog_api.catalog_works(catalog) if w.path == path or f"{w.root}/{w.path}" == path]
    if not works:
        raise click.UsageError(f"no work at {path!r} in the catalog")
    click.echo(json.dumps([w.to_dict() for w in works], indent=2, ensure_ascii=False))
