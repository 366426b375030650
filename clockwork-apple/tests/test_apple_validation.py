"""AppleContainerResource refuses bad values at construction, naming resource and field."""

from __future__ import annotations

import pytest

from clockwork import ResourceValidationError
from clockwork_apple import AppleContainerResource


def build(**fields) -> AppleContainerResource:
    return AppleContainerResource(**{"name": "web", "image": "nginx:1.27", **fields})


def refused(field: str, **fields) -> str:
    """The error message for building with `fields`; it must name resource and field."""
    with pytest.raises(ResourceValidationError) as caught:
        build(**fields)
    message = str(caught.value)
    assert "AppleContainerResource" in message
    assert f"'{fields.get('name', 'web')}'" in message
    assert f"field '{field}'" in message
    return message


# ----- valid values ---------------------------------------------------------------------


def test_valid_values_are_kept():
    web = build(
        ports=["8080:80", "127.0.0.1:8443:443/tcp", "5353:53/udp"],
        volumes=["/srv/www:/usr/share/nginx/html:ro", "./conf:/etc/conf", "cache:/cache:rw"],
        env_vars={"MODE": "prod", "_X1": "a b; $(c)"},
        networks=["backend", "front.net-1"],
        command=["nginx", "-g", "daemon off;"],
        must_run=False,
    )
    assert web.ports == ["8080:80", "127.0.0.1:8443:443/tcp", "5353:53/udp"]
    assert web.env_vars == {"MODE": "prod", "_X1": "a b; $(c)"}
    assert web.networks == ["backend", "front.net-1"]
    assert web.command == ["nginx", "-g", "daemon off;"]
    assert web.must_run is False


def test_defaults():
    web = build()
    assert (web.ports, web.volumes, web.env_vars, web.networks, web.command, web.must_run) == (
        None,
        [],
        {},
        [],
        None,
        True,
    )


def test_ports_are_written_canonically():
    assert build(ports=["08080:080", "127.0.0.1:09000:90/udp"]).ports == [
        "8080:80",
        "127.0.0.1:9000:90/udp",
    ]


def test_an_ip_with_leading_zeros_is_refused_as_ambiguous():
    refused("ports", ports=["127.000.0.1:9000:90"])


def test_the_ai_may_fill_name_image_and_ports_only():
    assert AppleContainerResource.completable_fields() == ("name", "image", "ports")
    assert AppleContainerResource(description="a web server").fields_to_complete() == [
        "name",
        "image",
        "ports",
    ]
    assert build(ports=[]).fields_to_complete() == []


# ----- refused values -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["w", "-rm", "web;touch x", "my web", "web$(id)", "wéb", ""])
def test_bad_names(name):
    refused("name", name=name)


@pytest.mark.parametrize(
    "image", ["", "-v", "nginx latest", "nginx;rm -rf /", "$(id)", "nginx`id`", "nginx\n"]
)
def test_bad_images(image):
    refused("image", image=image)


@pytest.mark.parametrize(
    "spec",
    [
        "80",
        "8080:80:90:100",
        "http:80",
        "8080:80/sctp",
        "0:80",
        "8080:65536",
        " 8080:80",
        "8080:80 ",
        "999.1.1.1:8080:80",
        "localhost:8080:80",
        "8080:80; touch /tmp/x",
        "8080:$(id)",
        "٨٠:80",
        "[::1]:8080:80",
    ],
)
def test_bad_ports(spec):
    message = refused("ports", ports=["8080:80", spec] if spec != "8080:80" else [spec])
    assert repr(spec) in message or "IPv4" in message


def test_two_ports_on_the_same_host_port_are_refused():
    message = refused("ports", ports=["8080:80", "0.0.0.0:8080:81"])
    assert "same host port" in message
    build(ports=["8080:80", "8080:80/udp", "127.0.0.1:8081:80", "127.0.0.2:8081:80"])


@pytest.mark.parametrize(
    "spec",
    [
        "/data",
        "/a:/b:/c:ro",
        "/a:b",
        ":/b",
        "/a:",
        "/a:/b:rx",
        "relative:/b:ro,z",
        "bad name:/b",
        "-v:/b",
        "/a\n:/b",
        "/a:/b\x00",
    ],
)
def test_bad_volumes(spec):
    refused("volumes", volumes=[spec])


def test_two_volumes_on_one_target_are_refused():
    message = str(
        pytest.raises(ResourceValidationError, build, volumes=["/a:/data", "/b:/data:ro"]).value
    )
    assert "'web'" in message and "/data" in message


@pytest.mark.parametrize(
    "env",
    [
        {"1X": "a"},
        {"A B": "a"},
        {"A=B": "a"},
        {"": "a"},
        {"A;B": "a"},
        {"A": ""},
        {"A": "x\x00y"},
        {"$(id)": "a"},
    ],
)
def test_bad_env_vars(env):
    refused("env_vars", env_vars=env)


@pytest.mark.parametrize(
    "network", ["a", "default,mac=02:42:ac:11:00:02", "-x", "net work", "n;id"]
)
def test_bad_networks(network):
    refused("networks", networks=[network])


def test_command_arguments_cannot_hold_nul():
    refused("command", command=["echo", "a\x00b"])


def test_an_invalid_value_assigned_later_is_refused_too():
    web = build()
    with pytest.raises(ValueError, match="ports"):
        web.ports = ["not a port"]
    assert web.ports is None
