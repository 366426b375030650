"""FileExistsAssert and FileContentMatchesAssert, checked against real files."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pydantic import ValidationError

from clockwork import AssertionFailed, BlankResource
from clockwork_files import FileContentMatchesAssert, FileExistsAssert, FileResource

CONTENT = "[server]\nport = 8080\nhost = 0.0.0.0\n"
DIGEST = hashlib.sha256(CONTENT.encode()).hexdigest()


def file_in(project: Path, name: str = "app.ini", **fields) -> FileResource:
    fields.setdefault("description", "the config")
    resource = FileResource(name=name, **fields)
    resource.bind_to_project(project)
    return resource


@pytest.fixture
def deployed(tmp_path) -> FileResource:
    """A FileResource whose file exists in the project folder with CONTENT."""
    resource = file_in(tmp_path, directory="conf", content=CONTENT)
    resource.resolved_path().parent.mkdir()
    resource.resolved_path().write_text(CONTENT)
    return resource


# ----- FileExistsAssert -------------------------------------------------------------------


def test_exists_defaults_to_the_attached_file(deployed, tmp_path):
    detail = FileExistsAssert().check(deployed)
    assert str(tmp_path / "conf" / "app.ini") in detail


def test_exists_fails_when_the_attached_file_is_missing(tmp_path):
    with pytest.raises(AssertionFailed) as caught:
        FileExistsAssert().check(file_in(tmp_path))
    assert str(caught.value) == f"{tmp_path / 'app.ini'} does not exist"


def test_exists_fails_on_a_folder(tmp_path):
    (tmp_path / "app.ini").mkdir()
    with pytest.raises(AssertionFailed, match="exists but is not a file"):
        FileExistsAssert().check(file_in(tmp_path))


def test_exists_relative_path_is_taken_from_the_resource_project(deployed, tmp_path, monkeypatch):
    monkeypatch.chdir("/")  # not the project: the resource's folder must be used
    assert "exists" in FileExistsAssert(path="conf/app.ini").check(deployed)
    with pytest.raises(AssertionFailed, match="does not exist"):
        FileExistsAssert(path="conf/other.ini").check(deployed)


def test_exists_relative_path_of_any_resource_uses_its_project(tmp_path):
    (tmp_path / "marker").write_text("")
    group = BlankResource(name="g")
    group.bind_to_project(tmp_path)  # it has no children: the group alone
    assert FileExistsAssert(path="marker").check(group) == f"{tmp_path / 'marker'} exists"


def test_exists_absolute_path(tmp_path):
    (tmp_path / "x").write_text("")
    assert "exists" in FileExistsAssert(path=str(tmp_path / "x")).check(None)
    with pytest.raises(AssertionFailed):
        FileExistsAssert(path=str(tmp_path / "y")).check(None)


def test_exists_relative_path_without_resource_uses_cwd(tmp_path, monkeypatch):
    (tmp_path / "here.txt").write_text("")
    monkeypatch.chdir(tmp_path)
    assert "exists" in FileExistsAssert(path="here.txt").check(None)


def test_exists_without_path_needs_a_file_resource():
    with pytest.raises(AssertionFailed, match="no path given"):
        FileExistsAssert().check(None)
    with pytest.raises(AssertionFailed, match="not a file"):
        FileExistsAssert().check(BlankResource(name="group"))


# ----- FileContentMatchesAssert -----------------------------------------------------------


def test_pattern_matches_the_attached_file(deployed):
    detail = FileContentMatchesAssert(pattern=r"port = \d+").check(deployed)
    assert "matches" in detail


def test_pattern_uses_search_and_inline_flags(deployed):
    FileContentMatchesAssert(pattern="8080").check(deployed)
    FileContentMatchesAssert(pattern=r"(?m)^host = 0\.0\.0\.0$").check(deployed)
    with pytest.raises(AssertionFailed):
        FileContentMatchesAssert(pattern=r"^host").check(deployed)  # ^ is the file's start


def test_pattern_mismatch_names_file_and_pattern(deployed, tmp_path):
    with pytest.raises(AssertionFailed) as caught:
        FileContentMatchesAssert(pattern=r"port = 9090").check(deployed)
    message = str(caught.value)
    assert str(tmp_path / "conf" / "app.ini") in message
    assert "port = 9090" in message


def test_sha256_matches(deployed):
    assert "expected sha256" in FileContentMatchesAssert(sha256=DIGEST).check(deployed)
    FileContentMatchesAssert(sha256=DIGEST.upper()).check(deployed)


def test_sha256_mismatch_reports_both_digests(deployed):
    wrong = hashlib.sha256(b"something else").hexdigest()
    with pytest.raises(AssertionFailed) as caught:
        FileContentMatchesAssert(sha256=wrong).check(deployed)
    assert DIGEST in str(caught.value)
    assert wrong in str(caught.value)


def test_sha256_is_over_the_raw_bytes(tmp_path):
    (tmp_path / "blob").write_bytes(b"\xff\x00\xfe")
    digest = hashlib.sha256(b"\xff\x00\xfe").hexdigest()
    FileContentMatchesAssert(path=str(tmp_path / "blob"), sha256=digest).check(None)


def test_content_of_a_missing_file_fails_readably(tmp_path):
    with pytest.raises(AssertionFailed) as caught:
        FileContentMatchesAssert(pattern="x").check(file_in(tmp_path, "gone.txt"))
    assert str(caught.value).startswith(f"cannot read {tmp_path / 'gone.txt'}: ")
    assert "No such file" in str(caught.value)


def test_content_with_relative_path_from_the_project(deployed, monkeypatch):
    monkeypatch.chdir("/")
    FileContentMatchesAssert(path="conf/app.ini", pattern="8080").check(deployed)


def test_assertions_attached_to_the_resource_check_it(tmp_path):
    resource = file_in(
        tmp_path,
        content=CONTENT,
        assertions=[FileExistsAssert(), FileContentMatchesAssert(sha256=DIGEST)],
    )
    with pytest.raises(AssertionFailed):
        resource.assertions[0].check(resource)
    resource.resolved_path().write_text(CONTENT)
    for assertion in resource.assertions:
        assertion.check(resource)


@pytest.mark.parametrize("fields", [{}, {"pattern": "x", "sha256": DIGEST}])
def test_exactly_one_of_pattern_or_sha256(fields):
    with pytest.raises(ValidationError, match="exactly one of pattern= or sha256="):
        FileContentMatchesAssert(**fields)


@pytest.mark.parametrize("bad", ["abc", "g" * 64, DIGEST + "0"])
def test_sha256_must_be_64_hex_digits(bad):
    with pytest.raises(ValidationError, match="sha256"):
        FileContentMatchesAssert(sha256=bad)


def test_bad_pattern_is_a_validation_error():
    with pytest.raises(ValidationError, match="not a regular expression"):
        FileContentMatchesAssert(pattern="(unclosed")


def test_describe_shows_the_fields():
    assert (
        FileContentMatchesAssert(pattern="x").describe() == "FileContentMatchesAssert(pattern='x')"
    )
    assert FileExistsAssert(path="a").describe() == "FileExistsAssert(path='a')"
