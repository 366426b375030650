"""Every accepted and rejected form of port, volume, name, image and env var strings."""

from __future__ import annotations

import pytest

from clockwork_docker.specs import (
    PortSpec,
    VolumeSpec,
    check_docker_name,
    check_env_key,
    check_image,
    parse_port,
    parse_volume,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("80", PortSpec(internal=80)),
        ("8080:80", PortSpec(internal=80, external=8080)),
        ("127.0.0.1:8080:80", PortSpec(internal=80, external=8080, ip="127.0.0.1")),
        ("127.0.0.1::80", PortSpec(internal=80, ip="127.0.0.1")),
        ("[::1]:8080:80", PortSpec(internal=80, external=8080, ip="::1")),
        ("8080:80/udp", PortSpec(internal=80, external=8080, protocol="udp")),
        ("53:53/udp", PortSpec(internal=53, external=53, protocol="udp")),
        ("8080:80/TCP", PortSpec(internal=80, external=8080, protocol="tcp")),
        ("5000:5000/sctp", PortSpec(internal=5000, external=5000, protocol="sctp")),
        ("0.0.0.0:443:8443/tcp", PortSpec(internal=8443, external=443, ip="0.0.0.0")),
        (" 8080:80 ", PortSpec(internal=80, external=8080)),
        ("65535:1", PortSpec(internal=1, external=65535)),
    ],
)
def test_accepted_ports(text: str, expected: PortSpec) -> None:
    assert parse_port(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("abc", "not a number"),
        ("", "not a number"),
        ("70000:80", "host port '70000'"),
        ("8080:70000", "container port '70000'"),
        ("0:80", "host port '0'"),
        ("8080:0", "container port '0'"),
        ("-1:80", "ranges"),
        ("8080:80/sctpx", "protocol"),
        ("8080:80/", "protocol"),
        ("8080:80/tcp/udp", "protocol"),
        ("8000-8010:8000-8010", "ranges"),
        ("1:2:3:4", "expected"),
        ("localhost:8080:80", "not an IP address"),
        ("300.0.0.1:8080:80", "not an IP address"),
        ("[::1:8080:80", "IPv6"),
        ("[::1]8080:80", "IPv6"),
        ("[::1]:80", "needs host_port:container_port"),
        ("8080:80; rm -rf /", "protocol"),
        ("8080:8o", "not a number"),
        ("８０８０:80", "not a number"),
    ],
)
def test_rejected_ports(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason) as raised:
        parse_port(text)
    assert str(raised.value).startswith(f"port {text!r}")  # names the value it rejects


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/host:/ctr", VolumeSpec(container_path="/ctr", host_path="/host")),
        ("/host:/ctr:ro", VolumeSpec(container_path="/ctr", host_path="/host", read_only=True)),
        ("/host:/ctr:rw", VolumeSpec(container_path="/ctr", host_path="/host")),
        ("./data:/data", VolumeSpec(container_path="/data", host_path="./data")),
        ("../shared:/s:ro", VolumeSpec(container_path="/s", host_path="../shared", read_only=True)),
        ("named:/ctr:ro", VolumeSpec(container_path="/ctr", volume_name="named", read_only=True)),
        (
            "pg_data.v1:/var/lib/postgresql/data",
            VolumeSpec(container_path="/var/lib/postgresql/data", volume_name="pg_data.v1"),
        ),
    ],
)
def test_accepted_volumes(text: str, expected: VolumeSpec) -> None:
    assert parse_volume(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("/data", "expected source:container_path"),
        ("named", "expected source:container_path"),
        ("a:b:c:d", "expected source:container_path"),
        ("named:/ctr:rx", "mode must be 'ro' or 'rw'"),
        ("named:/ctr:z", "mode must be 'ro' or 'rw'"),
        ("named:relative", "must be absolute"),
        ("named:", "must be absolute"),
        (":/ctr", "source .* is empty"),
        ("/host:/", "root"),
        ("bad name:/ctr", "not a valid Docker volume name"),
        ("-v:/ctr", "not a valid Docker volume name"),
        ("~/x:/ctr", "not a valid Docker volume name"),
    ],
)
def test_rejected_volumes(text: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_volume(text)


@pytest.mark.parametrize("name", ["web", "db-1", "api_v2", "a.b", "X9"])
def test_accepted_docker_names(name: str) -> None:
    assert check_docker_name(name) == name


@pytest.mark.parametrize(
    "name", ["", "-rm", ".hidden", "has space", "a/b", "é", "x;y", "_x", "a", "7"]
)
def test_rejected_docker_names(name: str) -> None:
    with pytest.raises(ValueError, match="not a valid Docker"):
        check_docker_name(name)


def test_a_one_character_name_is_only_a_network_name() -> None:
    """Docker refuses containers and volumes named with one character; networks not."""
    assert check_docker_name("n", "network name", min_length=1) == "n"
    with pytest.raises(ValueError, match="2 or more"):
        parse_volume("v:/data")


@pytest.mark.parametrize(
    "image",
    [
        "nginx",
        "nginx:1.27-alpine",
        "library/nginx:latest",
        "ghcr.io/org/app:v1.2.3",
        "localhost:5000/team/app",
        "localhost:5000/team/app:dev",
        "postgres@sha256:" + "a" * 64,
        "local_build:Tag_1",
        "registry.example.com:443/a/b-c/d__e:1.0",
        "REGISTRY.example.com/app",
    ],
)
def test_accepted_images(image: str) -> None:
    assert check_image(image) == image


@pytest.mark.parametrize(
    "image",
    [
        "",
        "nginx latest",
        "-nginx",
        "nginx:",
        "nginx:bad tag",
        "a" * 256,
        "nginx;rm",
        "nginx:x:y",
        "Nginx",
        "team/App:1",
        "_app",
        "app-",
        "app@sha256:short",
        "/nginx",
        "nginx/",
        "nginx:-tag",
        "nginx:é",
    ],
)
def test_rejected_images(image: str) -> None:
    with pytest.raises(ValueError, match="not a Docker image reference"):
        check_image(image)


@pytest.mark.parametrize("key", ["PATH", "DATABASE_URL", "lower", "A1", "with.dot"])
def test_accepted_env_keys(key: str) -> None:
    assert check_env_key(key) == key


@pytest.mark.parametrize("key", ["", "A=B", "=A", "WITH SPACE", "TAB\t", "NUL\0"])
def test_rejected_env_keys(key: str) -> None:
    with pytest.raises(ValueError, match="environment variable name"):
        check_env_key(key)
