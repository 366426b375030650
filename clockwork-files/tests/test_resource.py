"""FileResource: validation, completion, paths and the safety rules for AI-chosen paths."""

from __future__ import annotations

from pathlib import Path

import pytest

from clockwork import ProjectError, ResourceValidationError
from clockwork_files import FileResource
from clockwork_files.specs import parse_mode


def in_project(project: Path, **fields) -> FileResource:
    fields.setdefault("description", "a test file")
    resource = FileResource(**fields)
    resource.bind_to_project(project)
    return resource


# ----- validation -------------------------------------------------------------------------


def test_description_is_required():
    with pytest.raises(ResourceValidationError) as caught:
        FileResource(name="a.txt", content="x")
    error = caught.value
    assert isinstance(error, ProjectError)
    assert "description" in str(error)
    assert "'a.txt'" in str(error)  # names the resource too
    assert [e["loc"] for e in error.errors] == [("description",)]


@pytest.mark.parametrize(
    "given, stored",
    [
        ("644", "0644"),
        ("0755", "0755"),
        ("0o600", "0600"),
        ("0O640", "0640"),
        (" 755 ", "0755"),
        ("4755", "4755"),
        ("0", "0000"),
    ],
)
def test_mode_is_parsed_and_normalised(given, stored):
    assert FileResource(description="d", mode=given).mode == stored


@pytest.mark.parametrize("bad", ["999", "rw", "17777", "-1", "", "0x1ff", "u+x"])
def test_bad_mode_is_rejected(bad):
    with pytest.raises(ResourceValidationError) as caught:
        FileResource(description="d", name="f", mode=bad)
    assert "mode" in str(caught.value)
    assert [e["loc"] for e in caught.value.errors] == [("mode",)]


def test_parse_mode():
    assert parse_mode("644") == 0o644
    assert parse_mode("0o7777") == 0o7777
    with pytest.raises(ValueError, match="out of range"):
        parse_mode("17777")
    with pytest.raises(ValueError, match="octal"):
        parse_mode("999")


@pytest.mark.parametrize("bad", ["", "   ", ".", "..", "a\0b"])
def test_bad_name_is_rejected(bad):
    with pytest.raises(ResourceValidationError) as caught:
        FileResource(description="d", name=bad)
    assert [e["loc"] for e in caught.value.errors] == [("name",)]
    assert "is not a file name" in str(caught.value)


@pytest.mark.parametrize("good", ["README.md", ".env", "..hidden", "a b.txt"])
def test_ordinary_names_are_accepted(good):
    assert FileResource(description="d", name=good).name == good


def test_unknown_field_is_rejected():
    with pytest.raises(ResourceValidationError, match="contents"):
        FileResource(description="d", contents="typo")


# ----- completion -------------------------------------------------------------------------


def test_name_and_content_need_no_completion():
    resource = FileResource(description="d", name="a.txt", content="hi")
    assert resource.fields_to_complete() == []
    assert resource.needs_completion() is False


def test_path_and_content_need_no_completion_and_name_comes_from_path():
    resource = FileResource(description="d", path="conf/app.ini", content="")
    assert resource.name == "app.ini"
    assert resource.needs_completion() is False
    assert "name" not in resource.ai_filled_fields  # derived from the user's path


def test_explicit_name_wins_over_path():
    resource = FileResource(description="d", path="conf/app.ini", name="config", content="x")
    assert resource.name == "config"


def test_missing_content_needs_completion():
    assert FileResource(description="d", name="a.txt").needs_completion() is True
    assert FileResource(description="d", path="/tmp/x", mode="600").needs_completion() is True


@pytest.mark.parametrize(
    "fields, expected",
    [
        ({}, ["name", "directory", "content", "mode"]),
        ({"name": "a.txt"}, ["directory", "content", "mode"]),
        ({"content": "x"}, ["name", "directory", "mode"]),
        ({"name": "a.txt", "mode": "600"}, ["directory", "content"]),
        ({"path": "/srv/a.txt"}, ["content", "mode"]),
        ({"path": "/srv/a.txt", "mode": "600"}, ["content"]),
        ({"name": "a.txt", "content": "x"}, []),
        ({"path": "/srv/a.txt", "content": "x"}, []),
    ],
)
def test_fields_to_complete(fields, expected):
    assert FileResource(description="d", **fields).fields_to_complete() == expected


def test_path_is_never_completed_by_the_ai():
    assert "path" not in FileResource.completable_fields()
    assert "description" not in FileResource.completable_fields()


# ----- paths ------------------------------------------------------------------------------


def test_resolved_path_is_relative_to_the_project(tmp_path):
    assert in_project(tmp_path, name="a.txt").resolved_path() == tmp_path / "a.txt"
    assert (
        in_project(tmp_path, name="a.txt", directory="conf/sub").resolved_path()
        == tmp_path / "conf" / "sub" / "a.txt"
    )
    assert in_project(tmp_path, path="etc/x.ini").resolved_path() == tmp_path / "etc" / "x.ini"


def test_resolved_path_defaults_to_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert FileResource(description="d", name="a.txt").resolved_path() == tmp_path / "a.txt"


def test_absolute_user_path_is_kept_even_outside_the_project(tmp_path):
    project = tmp_path / "project"
    outside = tmp_path / "elsewhere" / "x.conf"
    resource = in_project(project, path=str(outside), content="x")
    assert resource.resolved_path() == outside
    resource.check_completed()  # the user's own choice: allowed


def test_path_overrides_name_and_directory(tmp_path):
    resource = in_project(tmp_path, path="/srv/app.ini", name="other", directory="d")
    assert resource.resolved_path() == Path("/srv/app.ini")


def test_resolved_path_without_name_or_path(tmp_path):
    with pytest.raises(ProjectError, match="no name and no path"):
        in_project(tmp_path).resolved_path()


# ----- safety of AI-chosen paths ----------------------------------------------------------


@pytest.mark.parametrize("directory", ["../x", "/etc", "a/../../b", ".."])
def test_ai_directory_leaving_the_project_is_refused(tmp_path, directory):
    resource = in_project(tmp_path, name="notes.txt", content="x", directory=directory)
    resource.mark_ai_filled("directory")
    with pytest.raises(ProjectError) as caught:
        resource.check_completed()
    assert "FileResource('notes.txt')" in str(caught.value)
    assert "directory" in str(caught.value)


def test_ai_name_leaving_the_project_is_refused(tmp_path):
    resource = in_project(tmp_path, name="../escape.txt", content="x")
    resource.mark_ai_filled("name")
    with pytest.raises(ProjectError, match="escape.txt"):
        resource.check_completed()


def judged(resource):
    """The files policies' findings on `resource`, as 'rule: field'."""
    from clockwork.policies import PolicyContext
    from clockwork.settings import Settings
    from clockwork_files.policies import policies

    context = PolicyContext(Settings(), resource.project_dir)
    return [
        f"{name}: {finding.field}"
        for name, policy in policies()
        for finding in policy.check(resource, context)
    ]


def test_ai_directory_through_a_symlink_leading_outside_is_refused(tmp_path):
    project = tmp_path / "project"
    project.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    (project / "shared").symlink_to(outside)

    resource = in_project(project, name="f.txt", content="x", directory="shared")
    resource.check_completed()  # inside the project, as written: a policy's to judge
    assert judged(resource) == []  # the user's folder
    resource.mark_ai_filled("directory")
    assert judged(resource) == ["files.symlink: directory"]


def test_ai_name_inside_a_symlinked_folder_the_user_chose_is_judged_alone(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real")
    resource = in_project(tmp_path, name="f.txt", content="x", directory="linked")
    resource.mark_ai_filled("name")
    assert judged(resource) == []
    (tmp_path / "real" / "g.txt").symlink_to(tmp_path / "elsewhere")
    resource.name = "g.txt"
    assert judged(resource) == ["files.symlink: name"]


@pytest.mark.parametrize(
    ("directory", "name", "found"),
    [
        (".", ".env", ["files.sensitive-path: name"]),
        (".", ".env.local", ["files.sensitive-path: name"]),
        (".git/hooks", "pre-commit", ["files.sensitive-path: directory"]),
        (".clockwork", "x.json", ["files.sensitive-path: directory"]),
        ("config", ".npmrc", ["files.sensitive-path: name"]),
        (".", "clockwork.lock", ["files.sensitive-path: name"]),
        (".", "main.py", ["files.sensitive-path: name"]),
        ("./", "sitecustomize.py", ["files.sensitive-path: name"]),
        ("src", "app.py", []),
        ("docs", "README.md", []),
    ],
)
def test_ai_chosen_sensitive_places_are_refused(tmp_path, directory, name, found):
    resource = in_project(tmp_path, name=name, content="x", directory=directory)
    assert judged(resource) == []  # the user's choice
    resource.mark_ai_filled("name")
    resource.mark_ai_filled("directory")
    assert judged(resource) == found


@pytest.mark.parametrize(
    ("mode", "found"),
    [
        ("644", []),
        ("600", []),
        ("755", ["files.executable: mode"]),
        ("744", ["files.executable: mode"]),
        ("4644", ["files.mode: mode"]),
        ("2644", ["files.mode: mode"]),
        ("1644", ["files.mode: mode"]),
        ("646", ["files.mode: mode"]),
        ("7777", ["files.mode: mode", "files.executable: mode"]),
    ],
)
def test_ai_chosen_modes_are_judged(tmp_path, mode, found):
    resource = in_project(tmp_path, name="f.txt", content="x", mode=mode)
    assert judged(resource) == []  # the user's choice
    resource.mark_ai_filled("mode")
    assert judged(resource) == found


def test_ai_directory_through_a_symlink_staying_inside_passes(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real")
    resource = in_project(tmp_path, name="f.txt", content="x", directory="alias")
    resource.mark_ai_filled("directory")
    resource.check_completed()


def test_ai_path_inside_the_project_passes(tmp_path):
    resource = in_project(tmp_path, name="app.conf", content="x", directory="config/app")
    resource.mark_ai_filled("name")
    resource.mark_ai_filled("directory")
    resource.check_completed()  # the folder need not exist yet
    assert resource.resolved_path() == tmp_path / "config" / "app" / "app.conf"


def test_project_dir_itself_behind_a_symlink_is_fine(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    resource = in_project(tmp_path / "link", name="f.txt", content="x", directory="sub")
    resource.mark_ai_filled("directory")
    resource.check_completed()


def test_user_given_parent_directory_is_allowed(tmp_path):
    project = tmp_path / "project"
    resource = in_project(project, name="f.txt", content="x", directory="..")
    resource.check_completed()  # not AI-filled: the user's call
    assert resource.resolved_path().resolve() == tmp_path / "f.txt"


def test_ai_name_in_a_user_chosen_outside_folder_is_the_users_call(tmp_path):
    resource = in_project(tmp_path / "project", name="f.txt", content="x", directory="..")
    resource.mark_ai_filled("name")
    resource.check_completed()  # the folder is the user's; the AI only named the file


@pytest.mark.parametrize("name", ["sub/f.txt", "../f.txt", "/etc/passwd"])
def test_ai_name_must_be_a_plain_file_name(tmp_path, name):
    resource = in_project(tmp_path, name=name, content="x")
    resource.mark_ai_filled("name")
    with pytest.raises(ProjectError, match="not a plain file name"):
        resource.check_completed()


# ----- to_pulumi --------------------------------------------------------------------------


def test_to_pulumi_without_content_is_a_clear_error(tmp_path):
    resource = in_project(tmp_path, name="a.txt")
    with pytest.raises(ProjectError) as caught:
        resource.to_pulumi()
    assert "FileResource('a.txt')" in str(caught.value)
    assert "content" in str(caught.value)


def test_to_pulumi_checks_ai_paths(tmp_path):
    resource = in_project(tmp_path, name="a.txt", content="x", directory="/etc")
    resource.mark_ai_filled("directory")
    with pytest.raises(ProjectError, match="leaves the project"):
        resource.to_pulumi()


def test_a_validators_message_is_shown_as_written():
    with pytest.raises(ProjectError) as caught:
        FileResource(name="a.txt", description="x", content="hi", mode="999")
    assert str(caught.value) == (
        "invalid FileResource 'a.txt': field 'mode': mode '999' is not an octal number like '644'"
    )
