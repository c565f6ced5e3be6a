"""`creditline scan`: licenses and copyright notices in files, trees, archives and stdin."""

from __future__ import annotations

import sys
from collections.abc import Callable

import click

from creditline import api
from creditline.cli.options import format_option, output_option, write_output
from creditline.ingest import Limits
from creditline.render import render


def _progress_bar(enabled: bool) -> tuple[Callable[[int, int | None, str], None] | None, Callable[[], None]]:
    if not enabled:
        return None, lambda: None
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    bar = Progress(TextColumn("scanning"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                   TextColumn("{task.fields[path]}", style="dim"), transient=True)
    task = bar.add_task("scan", total=None, path="")
    bar.start()

    def update(done: int, total: int | None, path: str) -> None:
        bar.update(task, completed=done, total=total, path=path[-60:])

    return update, bar.stop


@click.command()
@click.argument("paths", nargs=-1, required=True)
@format_option(("table", "json", "markdown"))
@output_option
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Worker processes (same output as serial).")
@click.option("--no-ignore", is_flag=True, help="Do not honour .gitignore files.")
@click.option("--exclude", "-x", multiple=True, metavar="PATTERN",
              help="Leave out paths matching this gitignore-style pattern (relative to each root; repeatable).")
@click.option("--no-copyright", is_flag=True, help="Skip copyright detection.")
@click.option("--summary-only", is_flag=True, help="Print only the per-root summary.")
@click.option("--max-file-size", type=click.IntRange(1), default=Limits.size_limit, show_default=True,
              help="Bytes read per file; larger files are scanned up to this limit and flagged.")
@click.option("--progress/--no-progress", default=None, help="Progress bar (default: on a terminal).")
def scan(paths: tuple[str, ...], fmt: str | None, output: str | None, jobs: int, no_ignore: bool,
         exclude: tuple[str, ...], no_copyright: bool, summary_only: bool, max_file_size: int, progress: bool | None) -> None:
    """Detect licenses and copyright notices in PATHS (files, directories, zip/tar archives, - for stdin).

    Exit codes: 0 scanned; 2 usage error; 3 nothing could be read.
    """
    show = sys.stderr.isatty() if progress is None else progress
    update, stop = _progress_bar(show)
    try:
        report = api.scan(list(paths), ignore=not no_ignore, jobs=jobs, copyrights=not no_copyright,
                          limits=Limits(size_limit=max_file_size), progress=update, exclude=exclude)
    finally:
        stop()
    fmt = fmt or ("table" if sys.stdout.isatty() else "json")
    tty = sys.stdout.isatty() and not output
    write_output(render("scan", fmt, report, summary_only=summary_only, color=tty, pretty=tty), output)
