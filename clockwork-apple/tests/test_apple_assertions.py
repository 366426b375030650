"""AppleContainerRunningAssert, run against the real `subprocess` path.

Without Apple's CLI (it only runs on macOS 26+) the assertion must fail with one clear
line. With the fake `container` from conftest.py on PATH, these tests check our
reading of `container list --all --format json` output, not Apple's CLI itself.
"""

from __future__ import annotations

import json

import pytest

from clockwork import AssertionFailed
from clockwork_apple import AppleContainerResource, AppleContainerRunningAssert
from clockwork_apple.specs import MISSING_CLI_MESSAGE


def listing(**statuses: str) -> str:
    """JSON as `container list --all --format json` prints it, one entry per container."""
    return json.dumps(
        [
            {
                "status": status,
                "configuration": {"id": name, "image": {"reference": "nginx"}},
                "networks": [],
            }
            for name, status in statuses.items()
        ]
    )


@pytest.fixture
def web() -> AppleContainerResource:
    return AppleContainerResource(name="web", image="nginx:1.27")


def test_without_the_cli_the_assertion_fails_with_one_clear_line(
    monkeypatch, path_without_container, web
):
    monkeypatch.setenv("PATH", path_without_container)
    with pytest.raises(AssertionFailed) as caught:
        AppleContainerRunningAssert().check(web)
    assert str(caught.value) == MISSING_CLI_MESSAGE


def test_a_running_container_passes(monkeypatch, fake_container, web):
    monkeypatch.setenv("PATH", fake_container.path)
    fake_container.lists(listing(db="stopped", web="running"))
    assert AppleContainerRunningAssert().check(web) == "container web is running"
    assert fake_container.calls() == [["list", "--all", "--format", "json"]]


def test_an_explicit_name_wins_over_the_resource(monkeypatch, fake_container, web):
    monkeypatch.setenv("PATH", fake_container.path)
    fake_container.lists(listing(db="running", web="stopped"))
    assert AppleContainerRunningAssert(name="db").check(web) == "container db is running"
    assert AppleContainerRunningAssert(name="db").check(None) == "container db is running"


def test_a_stopped_container_fails(monkeypatch, fake_container, web):
    monkeypatch.setenv("PATH", fake_container.path)
    fake_container.lists(listing(web="stopped"))
    with pytest.raises(AssertionFailed, match="container web is stopped, expected running"):
        AppleContainerRunningAssert(timeout_seconds=0.3).check(web)


def test_a_missing_container_fails(monkeypatch, fake_container, web):
    monkeypatch.setenv("PATH", fake_container.path)
    fake_container.lists(listing(web2="running"))
    with pytest.raises(AssertionFailed, match="container web does not exist"):
        AppleContainerRunningAssert(timeout_seconds=0.3).check(web)


def test_a_cli_error_is_reported_not_raised(monkeypatch, fake_container, web):
    monkeypatch.setenv("PATH", fake_container.path)
    fake_container.fails(1, "Error: XPC connection error: Connection invalid\n")
    with pytest.raises(AssertionFailed, match="failed: Error: XPC connection error"):
        AppleContainerRunningAssert().check(web)


def test_output_that_is_not_json_is_reported(monkeypatch, fake_container, web):
    monkeypatch.setenv("PATH", fake_container.path)
    fake_container.lists("ID  IMAGE  STATE\n")
    with pytest.raises(AssertionFailed, match="did not print JSON"):
        AppleContainerRunningAssert().check(web)


def test_no_name_anywhere_fails_clearly():
    with pytest.raises(AssertionFailed, match="no container name"):
        AppleContainerRunningAssert().check(None)


def test_a_bad_name_is_refused_at_construction():
    with pytest.raises(ValueError, match="name"):
        AppleContainerRunningAssert(name="web; reboot")
