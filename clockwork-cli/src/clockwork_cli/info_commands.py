"""Commands that describe the installation: `clockwork version` and `clockwork plugins`."""

from __future__ import annotations

import json
from typing import Any

import click

from clockwork.hookspecs import REGISTRATION_KINDS
from clockwork.plugins import (
    PluginHost,
    foreign_distributions,
    get_plugin_host,
    installed_clockwork_distributions,
)

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")


@click.command()
@json_option
def version(as_json: bool) -> None:
    """Show each installed Clockwork distribution and its version, and any installed
    project that only shares Clockwork's names on PyPI."""
    installed = installed_clockwork_distributions()
    foreign = foreign_distributions()
    if as_json:
        listed: list[dict[str, str]] = [
            {"name": name, "version": number}
            for name, number in installed.items()
            if f"{name.lower()} {number}" not in foreign
        ]
        listed += [{"name": what, "foreign": why} for what, why in foreign.items()]
        click.echo(json.dumps(listed, indent=2))
        return
    width = max((len(name) for name in installed), default=0)
    for name, number in installed.items():
        if f"{name.lower()} {number}" not in foreign:
            click.echo(f"{name:<{width}}  {number}")
    for what, why in foreign.items():
        click.echo(f"warning: {what} is installed here: {why}", err=True)


@click.command()
@json_option
def plugins(as_json: bool) -> None:
    """Show the loaded plugins, what each registers and the hooks it implements."""
    described = describe_plugins(get_plugin_host())
    if as_json:
        click.echo(json.dumps(described, indent=2))
    else:
        print_plugin_table(described)


def describe_plugins(host: PluginHost) -> list[dict[str, Any]]:
    """One entry per loaded distribution, core first: its version, hooks, what it
    registers (every kind of clockwork.hookspecs, in order) and, only when something
    of it failed, `problems` (one line each)."""
    registered = host.registered_names()
    hooks = hooks_by_distribution(host)
    described = []
    for name, loaded in host.distributions().items():
        entry: dict[str, Any] = {
            "name": name,
            "version": loaded.version,
            "hooks": sorted(hooks.get(name, ())),
        }
        entry.update({kind.name: registered[name][kind.name] for kind in REGISTRATION_KINDS})
        if host.failures.get(name):
            entry["problems"] = list(host.failures[name])
        described.append(entry)
    return described


def hooks_by_distribution(host: PluginHost) -> dict[str, set[str]]:
    """Names of the hooks each distribution's plugin modules implement."""
    found: dict[str, set[str]] = {}
    for plugin in host.pm.get_plugins():
        origin = host.plugins.get(host.pm.get_name(plugin) or "")
        if origin is None:
            continue
        callers = host.pm.get_hookcallers(plugin) or []
        found.setdefault(origin.distribution, set()).update(caller.name for caller in callers)
    return found


def print_plugin_table(described: list[dict[str, Any]]) -> None:
    """Plain indented text: a listing needs no table library, and start-up stays quick."""
    from clockwork.redaction import printable  # a plugin's names could hold control codes

    for entry in described:
        click.echo(printable(f"{entry['name']} {entry['version'] or '-'}"))
        for line in registered_summary(entry).splitlines():
            click.echo(printable(f"  {line}"))
        click.echo(printable(f"  hooks: {', '.join(entry['hooks']) or '-'}"))


def registered_summary(entry: dict[str, Any]) -> str:
    lines = [
        f"{kind.label}: {', '.join(entry[kind.name])}"
        for kind in REGISTRATION_KINDS
        if entry[kind.name]
    ]
    lines += entry.get("problems", [])  # "failed in register_resources: ValueError: ..."
    return "\n".join(lines) or "-"


COMMANDS = (version, plugins)
