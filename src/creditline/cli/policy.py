"""`creditline policy check P`: validate a policy file (or ready-made name) and list every problem."""

from __future__ import annotations

import click

from creditline.config import builtin_policies, load_policy
from creditline.errors import PolicyError


@click.group()
def policy() -> None:
    """Policies that `creditline trace --policy` checks matches against."""


@policy.command("check")
@click.argument("policy_path", metavar="FILE|NAME")
@click.pass_context
def check(ctx: click.Context, policy_path: str) -> None:
    """Validate a policy TOML FILE (or a ready-made NAME) and report every problem at once.

    Exit codes: 0 valid (a summary is printed); 2 invalid or unreadable (each problem listed).
    """
    try:
        loaded = load_policy(policy_path)
    except PolicyError as err:
        if len(err.problems) > 1:
            click.echo(f"Error: invalid policy {err.source or policy_path}: {len(err.problems)} problems", err=True)
            for problem in err.problems:
                click.echo(f"  - {problem}", err=True)
        else:
            click.echo(f"Error: {err.message}", err=True)
        if err.hint:
            click.echo(f"Hint: {err.hint}", err=True)
        ctx.exit(err.exit_code)
    click.echo(f"{policy_path}: valid\n{loaded.summary()}")


@policy.command("list")
def list_policies() -> None:
    """Names of the ready-made policies (usable as `--policy NAME`)."""
    for name in builtin_policies():
        click.echo(f"{name}: {load_policy(name).summary()}")
