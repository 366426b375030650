"""What DockerResources compile to, under Pulumi's mock runtime."""

from __future__ import annotations

from pathlib import Path

import pytest

from clockwork import BlankResource, ProjectError
from clockwork.testing import RegisteredResources, compile_under_mocks
from clockwork_docker import DockerResource

IMAGE = "docker:index/remoteImage:RemoteImage"
CONTAINER = "docker:index/container:Container"
NETWORK = "docker:index/network:Network"

pytestmark = pytest.mark.usefixtures("docker_plugin")


# pulumi.runtime.rpc's signature key and secret mark, as the mock monitor records them.
SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d"
SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A project folder named 'shop' as the working directory (its name labels containers)."""
    folder = tmp_path / "shop"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def labels_of(inputs: dict) -> dict[str, str]:
    return {item["label"]: item["value"] for item in inputs.get("labels", [])}


def test_the_real_pulumi_docker_type_tokens() -> None:
    import pulumi_docker
    from pulumi.type_token import get_type_token

    tokens = {
        pulumi_docker.RemoteImage: IMAGE,
        pulumi_docker.Container: CONTAINER,
        pulumi_docker.Network: NETWORK,
    }
    for cls, token in tokens.items():
        assert get_type_token(cls) == token  # what the SDK registers these classes as


def test_container_inputs(project: Path) -> None:
    web = DockerResource(
        name="web",
        image="nginx:1.27",
        ports=["8080:80", "127.0.0.1:8443:443/tcp", "53:53/udp", "[::1]:9000:9000", "7000"],
        volumes=["./site:/usr/share/nginx/html:ro", "/var/log/web:/logs", "cache:/cache"],
        env_vars={"MODE": "prod", "GREETING": "a=b c"},
        command=["nginx", "-g", "daemon off;"],
        restart_policy="always",
        must_run=False,
        labels={"team": "storefront"},
    )
    inputs = compile_under_mocks([web]).named("web").inputs
    assert inputs["name"] == "web"
    assert inputs["ports"] == [
        {"internal": 80, "external": 8080, "protocol": "tcp"},
        {"internal": 443, "external": 8443, "ip": "127.0.0.1", "protocol": "tcp"},
        {"internal": 53, "external": 53, "protocol": "udp"},
        {"internal": 9000, "external": 9000, "ip": "::1", "protocol": "tcp"},
        {"internal": 7000, "protocol": "tcp"},
    ]
    assert inputs["volumes"] == [
        {
            "hostPath": str(project / "site"),
            "containerPath": "/usr/share/nginx/html",
            "readOnly": True,
        },
        {"hostPath": "/var/log/web", "containerPath": "/logs"},
        {"volumeName": "cache", "containerPath": "/cache"},
    ]
    # A Pulumi secret (encrypted in the state): how the mock monitor shows one.
    assert inputs["envs"] == {
        SECRET_SIGNATURE: SECRET_MARK,
        "value": ["MODE=prod", "GREETING=a=b c"],
    }
    assert inputs["command"] == ["nginx", "-g", "daemon off;"]
    assert inputs["restart"] == "always"
    assert inputs["mustRun"] is False
    assert labels_of(inputs) == {
        "team": "storefront",
        "clockwork.name": "web",
        "clockwork.project": "shop",
    }
    assert "networksAdvanced" not in inputs


def test_defaults_and_empty_collections(project: Path) -> None:
    inputs = (
        compile_under_mocks(
            [DockerResource(name="idle", image="busybox", ports=[], volumes=[], env_vars={})]
        )
        .named("idle")
        .inputs
    )
    assert inputs["restart"] == "unless-stopped"
    assert inputs["mustRun"] is True
    for absent in ("ports", "volumes", "envs", "command", "networksAdvanced"):
        assert absent not in inputs


def test_image_is_pulled_kept_locally_and_awaited(project: Path) -> None:
    registered = compile_under_mocks([DockerResource(name="web", image="nginx:1.27")])
    image = registered.named("web-image")
    assert image.type == IMAGE
    assert image.inputs == {"name": "nginx:1.27", "keepLocally": True}
    container = registered.named("web")
    assert container.type == CONTAINER
    assert image.urn in container.dependencies


def test_a_local_image_is_used_by_name_without_pulling(project: Path) -> None:
    registered = compile_under_mocks([DockerResource(name="app", image="myapp:dev", pull=False)])
    assert registered.of_type(IMAGE) == []
    assert registered.named("app").inputs["image"] == "myapp:dev"


def test_inside_a_composite_the_container_and_its_image_are_parented(project: Path) -> None:
    app = BlankResource(name="app").add(DockerResource(name="web", image="nginx"))
    registered = compile_under_mocks([app])
    assert registered.name_of(registered.named("web").parent) == "app"
    assert registered.name_of(registered.named("web-image").parent) == "app"


def test_top_level_container_has_no_parent(project: Path) -> None:
    registered = compile_under_mocks([DockerResource(name="web", image="nginx")])
    assert registered.named("web").parent == ""
    assert registered.named("web-image").parent == ""


def three_connected_and_one_alone() -> tuple[list[DockerResource], RegisteredResources]:
    db = DockerResource(name="db", image="postgres:16")
    cache = DockerResource(name="cache", image="redis:7")
    api = DockerResource(name="api", image="api:1", pull=False, networks=["monitoring"])
    api.connect(db, cache)
    solo = DockerResource(name="solo", image="busybox")
    resources = [api, db, cache, solo]
    return resources, compile_under_mocks(resources)


def test_connect_becomes_depends_on(project: Path) -> None:
    _, registered = three_connected_and_one_alone()
    api = registered.named("api")
    assert registered.named("db").urn in api.dependencies
    assert registered.named("cache").urn in api.dependencies
    assert registered.named("api").urn not in registered.named("db").dependencies


def test_one_network_for_a_connected_group_and_none_for_a_lone_container(project: Path) -> None:
    _, registered = three_connected_and_one_alone()
    networks = registered.of_type(NETWORK)
    assert [n.name for n in networks] == ["clockwork-api-net"]
    network = networks[0]
    assert network.inputs["name"] == "clockwork-api-net"
    assert labels_of(network.inputs) == {"clockwork.project": "shop"}
    assert network.parent == ""  # the whole group's, not one member's
    for name in ("api", "db", "cache"):
        container = registered.named(name)
        attached = container.inputs["networksAdvanced"]
        assert {"name": "clockwork-api-net", "aliases": [name]} in attached
        assert network.urn in container.dependencies
    assert "networksAdvanced" not in registered.named("solo").inputs


def test_user_networks_are_attached_as_given(project: Path) -> None:
    _, registered = three_connected_and_one_alone()
    assert registered.named("api").inputs["networksAdvanced"] == [
        {"name": "monitoring"},
        {"name": "clockwork-api-net", "aliases": ["api"]},
    ]


def test_the_network_name_does_not_depend_on_declaration_order(project: Path) -> None:
    first = DockerResource(name="zeta", image="x")
    second = DockerResource(name="alpha", image="x")
    first.connect(second)
    registered = compile_under_mocks([first, second])
    assert [n.name for n in registered.of_type(NETWORK)] == ["clockwork-alpha-net"]


def test_separate_groups_get_separate_networks(project: Path) -> None:
    web = DockerResource(name="web", image="x").connect(DockerResource(name="api", image="x"))
    job = DockerResource(name="job", image="x").connect(DockerResource(name="queue", image="x"))
    registered = compile_under_mocks([web, job])
    assert sorted(n.name for n in registered.of_type(NETWORK)) == [
        "clockwork-api-net",
        "clockwork-job-net",
    ]


def test_a_group_across_composites_shares_one_top_level_network(project: Path) -> None:
    db = DockerResource(name="db", image="postgres:16")
    api = DockerResource(name="api", image="api").connect(db)
    BlankResource(name="data").add(db)
    BlankResource(name="backend").add(api)
    registered = compile_under_mocks([api])
    networks = registered.of_type(NETWORK)
    assert len(networks) == 1 and networks[0].parent == ""
    assert registered.name_of(registered.named("db").parent) == "data"


def test_a_missing_image_is_a_clear_error(project: Path) -> None:
    with pytest.raises(ProjectError, match="image is not set"):
        compile_under_mocks([DockerResource(name="web")])
