"""`creditline` command group: options shared by all commands and the one error handler."""

from __future__ import annotations

import gc
import logging
import os
import sys

# One BLAS thread: creditline runs its own worker processes, and numpy's OpenBLAS would otherwise
# start a thread per core in every process, which spin for a while after each call (a one-off
# eigenvalue problem in the near-duplicate set-up kept both cores busy for ~0.1 s per process).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import click  # noqa: E402

from creditline import __version__
from creditline.errors import CreditlineError

DATA_CREDIT = (
    "License knowledge: ScanCode LicenseDB (licensedcode-data), Copyright (c) nexB Inc. and others, "
    "licensed under CC-BY-4.0 (https://creativecommons.org/licenses/by/4.0/)."
)


def _version_text() -> str:
    from importlib.metadata import version

    try:
        db = version("licensedcode-data")
    except Exception:  # noqa: BLE001 - version display must never fail
        db = "not installed"
    from creditline.core.native import COMPILED

    tokenizer = "compiled tokenizer" if COMPILED else "numpy tokenizer: the C extension was not built"
    return f"creditline {__version__} ({tokenizer})\nlicensedcode-data {db}\n{DATA_CREDIT}"


class CreditlineGroup(click.Group):
    """Translates CreditlineError into `Error: ...` + hint and its exit code (traceback with --debug)."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except CreditlineError as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(f"Error: {err.message}", err=True)
            if err.hint:
                click.echo(f"Hint: {err.hint}", err=True)
            ctx.exit(err.exit_code)


def _print_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value and not ctx.resilient_parsing:
        click.echo(_version_text())
        ctx.exit(0)


@click.group(cls=CreditlineGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--version", is_flag=True, expose_value=False, is_eager=True, callback=_print_version,
              help="Show the versions, the license database's credit, and exit.")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """creditline: licenses, copyrights and credit for the works AI is built from."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug
    # a command allocates millions of short-lived objects (rows, tokens, matches) and makes almost
    # no reference cycles: collect the youngest generation every 10,000 allocations, not 700
    gc.set_threshold(10_000, 10, 10)
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING, stream=sys.stderr,
                        format="%(levelname)s %(name)s: %(message)s")


def _register() -> None:
    from creditline.cli.audit import audit, filter_
    from creditline.cli.explain import explain
    from creditline.cli.index import catalog, index
    from creditline.cli.notice import notice
    from creditline.cli.optout import optout
    from creditline.cli.policy import policy
    from creditline.cli.scan import scan
    from creditline.cli.trace import trace

    cli.add_command(scan)
    cli.add_command(explain)
    cli.add_command(index)
    cli.add_command(catalog)
    cli.add_command(trace)
    cli.add_command(policy)
    cli.add_command(optout)
    cli.add_command(audit)
    cli.add_command(filter_)
    cli.add_command(notice)


_register()


def main() -> None:
    cli(prog_name="creditline")
