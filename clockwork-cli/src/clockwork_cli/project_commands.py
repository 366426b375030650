"""Commands that act on a project's main.py: `apply`, `plan`, `destroy`, `assert`.

Each is its own small command so that it can be replaced on its own; for now they
only say they are not available.
"""

from __future__ import annotations

import click

NOT_AVAILABLE_EXIT_CODE = 2

main_py_argument = click.argument("main_py", default="main.py", required=False)


def not_available(command: str) -> None:
    click.echo(f"clockwork {command}: not available yet", err=True)
    click.get_current_context().exit(NOT_AVAILABLE_EXIT_CODE)


@click.command()
@main_py_argument
def apply(main_py: str) -> None:
    """Complete, compile and deploy the resources declared in MAIN_PY."""
    not_available("apply")


@click.command()
@main_py_argument
def plan(main_py: str) -> None:
    """Show what `apply` would complete and deploy, without deploying."""
    not_available("plan")


@click.command()
@main_py_argument
def destroy(main_py: str) -> None:
    """Remove everything `apply` deployed for MAIN_PY."""
    not_available("destroy")


@click.command("assert")
@main_py_argument
def assert_command(main_py: str) -> None:
    """Run the assertions of the resources in MAIN_PY against what is deployed."""
    not_available("assert")


COMMANDS = (apply, plan, destroy, assert_command)
