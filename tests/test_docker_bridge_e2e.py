"""A web app shaped like examples/webapp, deployed through the real Pulumi engine and
the docker plugin `clockwork setup` builds where it cannot be downloaded (our bridge
of the Terraform Docker provider, clockwork_docker/engine): a pulled image, a group
network with aliases, a secret environment, a named volume, a published port; then an
update that replaces a container under the same name, and destroy.

Images are imported offline (`docker import` of a busybox rootfs), never pulled: the
"pulled" one is already local, which the provider takes as pulled.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from clockwork_cli.testing import run_clockwork
from clockwork_docker.testing import (
    HTTPD,
    busybox_rootfs,
    docker,
    free_port,
    import_image,
    require_docker_deploys,
)

MAIN = """\
from clockwork import BlankResource, PortAccessibleAssert
from clockwork_docker import ContainerRunningAssert, DockerResource

db = DockerResource(
    name="{db}",
    description="the database",
    image="{image}",
    command=["/bin/sleep", "3600"],
    ports=[],
    env_vars={{"DB_PASSWORD": "only-in-the-container"}},
    volumes=["{volume}:/data"],
    assertions=[ContainerRunningAssert()],
)
api = DockerResource(
    name="{api}",
    description="the API",
    image="{image}",
    pull=False,
    command={api_command},
    ports=["127.0.0.1:{port}:80"],
    env_vars={{}},
    volumes=[],
    assertions=[ContainerRunningAssert(), PortAccessibleAssert(port={port})],
).connect(db)
app = BlankResource(name="app", description="the app").add(db, api)
"""


def inspect(*names: str) -> list[dict[str, Any]]:
    found = docker("inspect", *names, check=False)
    return json.loads(found.stdout or "[]")


@pytest.fixture
def image(tmp_path: Path) -> Iterator[str]:
    require_docker_deploys()  # before building anything
    rootfs = busybox_rootfs(
        tmp_path / "rootfs", ("sh", "httpd", "sleep"), {"www/index.html": "<h1>api</h1>\n"}
    )
    (rootfs / "data").mkdir()
    tag = f"clockwork-test-bridge:{uuid.uuid4().hex[:12]}"
    import_image(rootfs, tag, HTTPD)
    try:
        yield tag
    finally:
        docker("rmi", "-f", tag, check=False)


@dataclass
class Webapp:
    """A webapp project (MAIN) with names no other run has; `write` sets its API's command."""

    main: Path
    names: dict[str, str]  # db, api, volume
    network: str  # the group's, from its first name sorted: the API's
    fields: dict[str, Any]

    def write(self, api_command: str) -> None:
        self.main.write_text(MAIN.format(**self.fields, api_command=api_command))


@pytest.fixture
def webapp(tmp_path: Path, image: str) -> Iterator[Webapp]:
    suffix = uuid.uuid4().hex[:8]
    names = {"db": f"cwb-db-{suffix}", "api": f"cwb-api-{suffix}", "volume": f"cwb-{suffix}"}
    project = tmp_path / "webapp"
    project.mkdir()
    app = Webapp(
        project / "main.py",
        names,
        f"clockwork-{names['api']}-net",
        {**names, "image": image, "port": free_port()},
    )
    app.write(HTTPD)
    try:
        yield app
    finally:  # whatever a failed test left: destroyed, else removed by hand
        run_clockwork("destroy", str(app.main), "--yes", code=None)
        docker("rm", "-f", names["db"], names["api"], check=False)
        docker("network", "rm", app.network, check=False)
        docker("volume", "rm", names["volume"], check=False)


def as_json(*args: str) -> dict[str, Any]:
    return json.loads(run_clockwork(*args, "--json").stdout)


@pytest.mark.pulumi_cli
def test_a_webapp_deploys_updates_and_goes_through_the_built_docker_plugin(
    webapp: Webapp, image: str
) -> None:
    main, names, network = webapp.main, webapp.names, webapp.network
    applied = as_json("apply", str(main), "--yes")
    assert applied["changes"]["create"] >= 4, applied  # image, network, 2 containers
    checked = as_json("assert", str(main))
    assert checked["success"], checked
    db, api = inspect(names["db"], names["api"])
    assert "DB_PASSWORD=only-in-the-container" in db["Config"]["Env"]
    assert db["Config"]["Cmd"] == ["/bin/sleep", "3600"]
    assert [m["Name"] for m in db["Mounts"]] == [names["volume"]]
    assert names["db"] in db["NetworkSettings"]["Networks"][network]["Aliases"]
    state = "".join(
        f.read_text(errors="replace")
        for f in (main.parent / ".clockwork").rglob("*")
        if f.is_file()
    )
    assert names["db"] in state  # the stack's state is there …
    assert "only-in-the-container" not in state  # … with the environment encrypted
    (net,) = inspect(network)
    assert net["Labels"]["clockwork.project"] == "webapp"

    # A new command replaces the container; its name is taken until the old one goes.
    before = api["Id"]
    changed = HTTPD.replace('"80"', '"80", "-v"')
    webapp.write(changed)
    applied = as_json("apply", str(main), "--yes")
    assert applied["changes"]["replace"] == 1, applied
    assert as_json("assert", str(main))["success"]
    (api,) = inspect(names["api"])
    assert api["Id"] != before and "-v" in api["Config"]["Cmd"]

    run_clockwork("destroy", str(main), "--yes")
    assert inspect(names["db"], names["api"], network) == []
    assert inspect(image) != []  # keep_locally: the image stays for other users


@pytest.mark.pulumi_cli
def test_a_container_removed_by_hand_is_drift_and_apply_runs_it_again(
    webapp: Webapp,
) -> None:
    """Before refresh existed, apply said "no changes" and the container stayed gone."""
    main, names = webapp.main, webapp.names
    as_json("apply", str(main), "--yes")
    # Exit 0: what the provider reads back (its zeros for unset values) is no drift.
    assert as_json("plan", str(main), "--exit-code")["preview"]["drift"] == []
    docker("rm", "-f", names["api"])

    planned = run_clockwork("plan", str(main), "--exit-code", "--json", code=3)
    preview = json.loads(planned.stdout)["preview"]
    assert "only-in-the-container" not in planned.stdout + planned.stderr  # masked
    assert [(d["name"], d["gone"]) for d in preview["drift"]] == [(names["api"], True)]
    assert (names["api"], "create") in [(s["name"], s["op"]) for s in preview["steps"]]

    shown = run_clockwork("apply", str(main), "--yes", "--json")
    assert "only-in-the-container" not in shown.stdout + shown.stderr
    applied = json.loads(shown.stdout)
    assert applied["changes"].get("create") == 1, applied
    (api,) = inspect(names["api"])
    assert api["State"]["Running"]
    assert as_json("assert", str(main))["success"]
