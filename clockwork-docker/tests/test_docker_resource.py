"""DockerResource as a model: validation, completion, connection context, registration."""

from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import ValidationError

from clockwork import BlankResource, ResourceValidationError
from clockwork.plugins import PluginHost
from clockwork_docker import ContainerRunningAssert, DockerResource, LogContainsAssert


def web(**fields: object) -> DockerResource:
    return DockerResource(**{"name": "web", "image": "nginx:1.27", "ports": ["8080:80"], **fields})


# ----- validation at construction ---------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("ports", ["abc"], "container port 'abc'"),
        ("ports", ["70000:80"], "host port '70000'"),
        ("ports", ["8080:80/sctpx"], "protocol"),
        ("ports", ["8080:80", "8080:81"], "publish the same host port"),
        ("volumes", ["/data"], "source:container_path"),
        ("volumes", ["aa:/x", "bb:/x/"], "mount the same path"),
        ("env_vars", {"A=B": "x"}, "environment variable name"),
        ("env_vars", {"": "x"}, "environment variable name"),
        ("env_vars", {"A": "nul\0"}, "NUL"),
        ("name", "my web", "container name"),
        ("name", "-web", "container name"),
        ("name", "w", "container name"),  # Docker: "Invalid container name (w)"
        ("volumes", ["v:/data"], "volume name"),
        ("image", "nginx latest", "image reference"),
        ("networks", ["bad net"], "network name"),
        ("command", [], "command is empty"),
        ("labels", {"clockwork.name": "x"}, "reserved"),
        ("labels", {"a=b": "x"}, "label"),
        ("restart_policy", "sometimes", "restart_policy"),
    ],
)
def test_bad_values_fail_at_construction_naming_resource_and_field(
    field: str, value: object, reason: str
) -> None:
    with pytest.raises(ResourceValidationError, match=reason) as raised:
        web(**{field: value})
    message = str(raised.value)
    assert "DockerResource" in message
    assert field in message
    if field != "name":  # a bad name cannot name the resource; the field still does
        assert "'web'" in message


def test_unknown_fields_are_rejected() -> None:
    with pytest.raises(ResourceValidationError, match="portz"):
        web(portz=["80"])


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ports", ["abc"]),
        ("ports", ["70000:80"]),
        ("volumes", ["named"]),
        ("env_vars", {"A=B": "1"}),
        ("name", "two words"),
        ("image", "nginx;rm -rf /"),
    ],
)
def test_assigned_values_pass_the_same_validation(field: str, value: object) -> None:
    """The AI fills fields by assignment; core's validate_assignment runs our validators."""
    resource = DockerResource(description="a web server")
    with pytest.raises(ValidationError) as raised:
        setattr(resource, field, value)
    assert raised.value.errors()[0]["loc"] == (field,)
    assert getattr(resource, field) is None


def test_valid_values_are_kept_as_written() -> None:
    resource = web(
        ports=[" 8080:80 ", "127.0.0.1:5353:53/udp"],
        volumes=["data:/data:ro", "/etc/app:/etc/app"],
        env_vars={"MODE": "prod", "EMPTY": ""},
        networks=["backend"],
        command=["nginx", "-g", "daemon off;"],
        labels={"team": "web"},
        restart_policy="on-failure",
        must_run=False,
        pull=False,
    )
    assert resource.ports == ["8080:80", "127.0.0.1:5353:53/udp"]
    assert resource.volumes == ["data:/data:ro", "/etc/app:/etc/app"]
    assert resource.container_ports() == [53, 80]


# ----- completion ---------------------------------------------------------------------------


def test_ai_may_fill_name_image_ports_volumes_and_env_vars_only() -> None:
    assert DockerResource.completable_fields() == ("name", "image", "ports", "volumes", "env_vars")


def test_fields_to_complete_when_essentials_are_missing() -> None:
    resource = DockerResource(description="a postgres database", env_vars={"A": "1"})
    assert resource.fields_to_complete() == ["name", "image", "ports"]


def test_volumes_and_env_vars_are_asked_for_only_when_the_description_calls_for_them() -> None:
    plain = DockerResource(description="PostgreSQL 16 database for the shop's orders")
    assert plain.fields_to_complete() == ["name", "image", "ports"]
    stored = DockerResource(description="PostgreSQL with a named volume for its data")
    assert stored.fields_to_complete() == ["name", "image", "ports", "volumes"]
    configured = web(description="nginx, its log level set by an environment variable")
    assert configured.fields_to_complete() == ["env_vars"]
    assert configured.safe_empty_defaults() == {"env_vars": {}}
    assert stored.safe_empty_defaults() == {"volumes": []}


def test_nothing_to_complete_once_name_image_and_ports_are_known() -> None:
    assert web().fields_to_complete() == []


def test_a_connected_container_asks_for_env_vars() -> None:
    db = DockerResource(name="db", image="postgres:16", ports=[])
    api = web(name="api").connect(db)
    assert api.fields_to_complete() == ["env_vars"]
    api.env_vars = {"DATABASE_URL": "postgresql://db:5432/app"}
    assert api.fields_to_complete() == []


def test_user_values_are_never_offered_to_the_ai() -> None:
    resource = DockerResource(description="cache", image="redis:7")
    assert "image" not in resource.fields_to_complete()
    assert resource.user_set_fields() == {"description": "cache", "image": "redis:7"}


def judged(resource: DockerResource, **settings: object) -> list[str]:
    """The docker policies' findings on `resource`, as 'rule: field'."""
    from clockwork.policies import PolicyContext
    from clockwork.settings import Settings
    from clockwork_docker.policies import policies

    context = PolicyContext(Settings(**settings), resource.project_dir)  # type: ignore[arg-type]
    return [
        f"{name}: {finding.field}"
        for name, policy in policies()
        for finding in policy.check(resource, context)
    ]


def ai_filled(resource: DockerResource, **values: object) -> DockerResource:
    for field, value in values.items():
        setattr(resource, field, value)
        resource.mark_ai_filled(field)
    return resource


def test_ai_chosen_host_folder_mount_is_refused() -> None:
    resource = DockerResource(description="db", name="db", image="postgres:16", ports=[])
    assert judged(ai_filled(resource, volumes=["/etc:/host-etc"])) == ["docker.host-mount: volumes"]


def test_ai_chosen_named_volume_is_fine() -> None:
    resource = DockerResource(description="db", name="db", image="postgres:16", ports=[])
    assert judged(ai_filled(resource, volumes=["pgdata:/var/lib/postgresql/data"])) == []


def test_the_users_host_mount_image_and_port_are_the_users() -> None:
    resource = DockerResource(
        description="db", name="db", image="evil.example/x:1", ports=["80:80"], volumes=["/srv:/d"]
    )
    assert judged(resource) == []


@pytest.mark.parametrize(
    ("image", "repository"),
    [
        ("nginx", "docker.io/library/nginx"),
        ("nginx:1.27-alpine", "docker.io/library/nginx"),
        ("bitnami/redis:7", "docker.io/bitnami/redis"),
        ("docker.io/library/postgres:16", "docker.io/library/postgres"),
        ("index.docker.io/library/postgres", "docker.io/library/postgres"),
        ("ghcr.io/acme/app:v1", "ghcr.io/acme/app"),
        ("localhost:5000/app:2", "localhost:5000/app"),
        ("nginx@sha256:" + "a" * 64, "docker.io/library/nginx"),
    ],
)
def test_image_repository_reads_references_as_docker_does(image: str, repository: str) -> None:
    from clockwork_docker.policies import image_repository

    assert image_repository(image) == repository


def test_ai_images_come_only_from_allowed_registries() -> None:
    def image(reference: str, **settings: object) -> list[str]:
        resource = DockerResource(description="app", name="app", ports=[], volumes=[])
        return judged(ai_filled(resource, image=reference), **settings)

    assert image("postgres:16") == []
    assert image("bitnami/redis:7") == ["docker.registry: image"]
    assert image("ghcr.io/acme/app:1") == ["docker.registry: image"]
    assert image("ghcr.io/acme/app:1", ai_allowed_registries=["ghcr.io/acme"]) == []
    assert image("ghcr.io/acmeevil/app:1", ai_allowed_registries=["ghcr.io/acme"]) != []
    assert image("quay.io/x/y:1", ai_allowed_registries=["*"]) == []


def test_ai_host_ports_stay_in_the_allowed_ranges() -> None:
    def ports(*published: str, **settings: object) -> list[str]:
        resource = DockerResource(description="app", name="app", image="nginx", volumes=[])
        return judged(ai_filled(resource, ports=list(published)), **settings)

    assert ports("8080:80", "80") == []  # no host port: Docker picks a free one
    assert ports("443:443") == ["docker.host-port: ports"]
    assert ports("443:443", ai_host_ports="443,8000-9000") == []
    assert ports("9001:80", ai_host_ports="443,8000-9000") == ["docker.host-port: ports"]


# ----- connections --------------------------------------------------------------------------


def test_connection_context_tells_how_to_reach_the_peer() -> None:
    db = DockerResource(
        name="db",
        image="postgres:16",
        ports=["127.0.0.1:15432:5432"],
        env_vars={"POSTGRES_DB": "app"},
        description="the database",
    )
    api = DockerResource(description="api").connect(db)
    assert api.connections == [
        {
            "type": "DockerResource",
            "name": "db",
            "description": "the database",
            "image": "postgres:16",
            "hostname": "db",
            "ports": ["127.0.0.1:15432:5432"],
            "container_ports": [5432],
            "env_vars": {"POSTGRES_DB": "app"},
        }
    ]


def test_connection_context_leaves_out_what_is_unknown() -> None:
    assert DockerResource(description="db").get_connection_context() == {
        "type": "DockerResource",
        "description": "db",
    }


def test_docker_group_follows_connections_both_ways_and_transitively() -> None:
    db, cache, worker, solo = (
        DockerResource(name=n, image="x") for n in ("db", "cache", "worker", "solo")
    )
    api = DockerResource(name="api", image="x").connect(db, cache)
    worker.connect(cache)
    assert [r.name for r in db.docker_group()] == ["api", "cache", "db", "worker"]
    assert db.group_network_name() == worker.group_network_name() == "clockwork-api-net"
    assert solo.docker_group() == [solo]
    assert solo.group_network_name() is None
    assert api.group_network_name() == "clockwork-api-net"


def test_other_resource_types_do_not_join_a_docker_group() -> None:
    other = BlankResource(name="other")
    a = DockerResource(name="aa", image="x").connect(other)
    b = DockerResource(name="bb", image="x")
    other.connect(b)
    assert a.group_network_name() is None
    assert b.group_network_name() is None


# ----- assertions as models -----------------------------------------------------------------


def test_a_one_character_network_is_accepted() -> None:
    assert web(networks=["n"]).networks == ["n"]


def test_assertion_fields_are_validated() -> None:
    with pytest.raises(ValidationError, match="container name"):
        ContainerRunningAssert(container_name="--all")
    with pytest.raises(ValidationError, match="regular expression"):
        LogContainsAssert(pattern="(unclosed")
    with pytest.raises(ValidationError, match="since"):
        LogContainsAssert(pattern="x", since="--follow")
    with pytest.raises(ValidationError):
        LogContainsAssert(pattern="x", tail=0)


def test_assertions_attach_to_a_resource() -> None:
    resource = web(assertions=[ContainerRunningAssert(), LogContainsAssert(pattern="ready")])
    assert [a.describe() for a in resource.assertions] == [
        "ContainerRunningAssert()",
        "LogContainsAssert(pattern='ready')",
    ]


# ----- plugin registration ------------------------------------------------------------------


def test_registers_through_its_entry_point(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CW_PLUGINS", "clockwork-docker")
    host = PluginHost.from_environment()
    assert host.problems == []
    provided = host.registry.by_distribution("clockwork-docker")
    assert provided["resources"] == ["DockerResource"]
    assert provided["assertions"] == ["ContainerRunningAssert", "LogContainsAssert"]
    assert provided["engine_plugins"] == ["docker"]
    assert provided["policies"] == ["docker.host-mount", "docker.host-port", "docker.registry"]
    assert not any(
        names
        for kind, names in provided.items()
        if kind not in ("resources", "assertions", "engine_plugins", "policies")
    )


def test_loading_the_plugin_imports_no_pulumi() -> None:
    code = (
        "import sys, clockwork_docker.plugin\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_docker'))\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
