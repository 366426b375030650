"""`python -m clockwork_cli`: the same as the `clockwork` console script."""

from .main import cli

if __name__ == "__main__":
    cli(prog_name="clockwork")
