"""Entry point of the sample plugin: registers its types, one policy and one command."""

import click

from clockwork import hookimpl

from .resources import SampleResource, ThingColorAssert


@hookimpl
def register_resources(register):
    register(SampleResource)


@hookimpl
def register_assertions(register):
    register(ThingColorAssert)


@hookimpl
def register_prompt_templates(register):
    register("SampleResource", "Pick a size and a color for the thing {name}.")


@hookimpl
def register_policies(register):
    from .policies import THING_SIZE

    register("sample.thing-size", THING_SIZE)


@hookimpl
def register_commands(cli):
    @cli.command("sample-hello")
    @click.argument("who", default="world")
    def sample_hello(who):
        """Greet WHO (shows that plugins can add commands)."""
        click.echo(f"hello {who} from clockwork-sample")
