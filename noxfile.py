"""Developer sessions: `uv run nox -s tests`, `-s lint`, `-s typecheck`.

Sessions reuse the uv workspace environment (`uv sync` installs every distribution
and the dev tools), so they run exactly what CI runs.
"""

import nox

nox.options.default_venv_backend = "none"
nox.options.sessions = ["lint", "tests"]

PACKAGES = [
    "clockwork-core/src",
    "clockwork-files/src",
    "clockwork-docker/src",
    "clockwork-git/src",
    "clockwork-apple/src",
    "clockwork-cli/src",
]


@nox.session
def tests(session: nox.Session) -> None:
    session.run("uv", "run", "--frozen", "pytest", *session.posargs, external=True)


@nox.session
def lint(session: nox.Session) -> None:
    session.run("uv", "run", "--frozen", "ruff", "check", ".", external=True)
    session.run("uv", "run", "--frozen", "ruff", "format", "--check", ".", external=True)


@nox.session
def typecheck(session: nox.Session) -> None:
    session.run("uv", "run", "--frozen", "mypy", *PACKAGES, external=True)
