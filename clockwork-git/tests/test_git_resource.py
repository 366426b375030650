"""GitRepoResource: defaults, AI-path safety, registration and compilation to Pulumi."""

from __future__ import annotations

import subprocess
import sys

import pytest

from clockwork import BlankResource, ProjectError
from clockwork.testing import compile_under_mocks, dynamic_provider_of
from clockwork_git import GitRepoClonedAssert, GitRepoResource

URL = "https://github.com/fastapi/fastapi.git"
GIT_REPO_TYPE = "pulumi-python:dynamic/clockwork:GitRepo"


def ai_filled(resource: GitRepoResource, **values: str) -> GitRepoResource:
    """Set values the way a completer does, and mark them as the AI's."""
    for field, value in values.items():
        setattr(resource, field, value)
        resource.mark_ai_filled(field)
    return resource


# ----- defaults --------------------------------------------------------------------------


def test_name_and_dest_default_to_the_repository_name(project):
    repo = GitRepoResource(repo_url=URL)
    assert repo.name == "fastapi"
    assert repo.resolved_dest() == project / "fastapi"
    assert repo.fields_to_complete() == []


def test_description_only_asks_the_ai_for_url_dest_and_name():
    repo = GitRepoResource(description="the FastAPI repository")
    assert repo.fields_to_complete() == ["name", "repo_url", "dest"]
    assert "branch" not in GitRepoResource.completable_fields()


def test_relative_dest_and_local_url_are_taken_from_the_project(project, tmp_path):
    repo = GitRepoResource(name="r", repo_url="../remote.git", dest="vendor/r")
    assert repo.resolved_dest() == project / "vendor" / "r"
    assert repo.clone_url() == str(tmp_path / "remote.git")


def test_the_folder_the_clone_goes_in_is_a_working_directory(project):
    """Its missing parents are recorded, so destroy removes them even when the clone
    was made again (after a refresh found it gone) and the provider did not make them."""
    assert GitRepoResource(repo_url=URL, dest="vendor/fastapi").working_directories() == [
        project / "vendor"
    ]
    assert GitRepoResource(repo_url=URL, present=False).working_directories() == []


def test_user_may_give_an_absolute_or_outside_dest(project, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    assert GitRepoResource(repo_url=URL, dest=str(elsewhere)).resolved_dest() == elsewhere
    GitRepoResource(repo_url=URL, dest="../sibling").check_completed()


# ----- AI-filled values must stay in the project -----------------------------------------


@pytest.mark.parametrize("dest", ["../outside", "/etc/fastapi", "~/fastapi", "a/../../x", "."])
def test_ai_dest_outside_the_project_is_refused(project, dest):
    repo = ai_filled(GitRepoResource(description="the FastAPI repository"), repo_url=URL, dest=dest)
    with pytest.raises(ProjectError, match="set dest yourself"):
        repo.check_completed()


def test_ai_dest_through_a_symlink_out_of_the_project_is_refused(project, tmp_path):
    (tmp_path / "outside").mkdir()
    (project / "link").symlink_to(tmp_path / "outside")
    repo = ai_filled(
        GitRepoResource(description="the FastAPI repository"), repo_url=URL, dest="link/fastapi"
    )
    with pytest.raises(ProjectError, match="not inside the project folder"):
        repo.check_completed()


def test_default_dest_of_an_ai_url_through_a_symlink_is_refused(project, tmp_path):
    (tmp_path / "outside").mkdir()
    (project / "fastapi").symlink_to(tmp_path / "outside")
    repo = ai_filled(GitRepoResource(name="fa", description="the FastAPI repository"), repo_url=URL)
    with pytest.raises(ProjectError):
        repo.check_completed()


def test_ai_dest_inside_the_project_is_fine(project):
    repo = ai_filled(
        GitRepoResource(description="the FastAPI repository"),
        repo_url=URL,
        dest="vendor/fastapi",
        name="fastapi",
    )
    repo.check_completed()
    assert repo.resolved_dest() == project / "vendor" / "fastapi"


def test_unsafe_ai_dest_stops_the_compile(project, git_plugin):
    repo = ai_filled(
        GitRepoResource(name="fastapi", description="the FastAPI repository"),
        repo_url=URL,
        dest="../escape",
    )
    with pytest.raises(ProjectError, match="leaves the project folder"):
        compile_under_mocks([repo])


# ----- plugin and compilation ------------------------------------------------------------


def test_plugin_registers_the_resource_and_the_assertion(git_plugin):
    registry = git_plugin.registry
    assert registry.get("resources", "GitRepoResource") is GitRepoResource
    assert registry.get("assertions", "GitRepoClonedAssert") is GitRepoClonedAssert


def test_importing_the_plugin_does_not_import_pulumi():
    code = "import sys, clockwork_git.plugin; print('pulumi' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_compiles_to_a_dynamic_git_repo(project, git_plugin):
    repo = GitRepoResource(repo_url=URL, branch="master", pull=False)
    registered = compile_under_mocks([repo])
    (git_repo,) = registered.of_type(GIT_REPO_TYPE)
    assert git_repo.name == "fastapi"
    inputs = git_repo.inputs
    assert inputs["repo_url"] == URL
    assert inputs["dest"] == str(project / "fastapi")
    assert inputs["branch"] == "master"
    assert inputs["pull"] is False and inputs["present"] is True


def test_parent_and_dependencies_are_passed_on(project, git_plugin):
    tools = GitRepoResource(name="tools", repo_url="https://example.com/tools.git")
    app = GitRepoResource(name="app", repo_url="https://example.com/app.git").connect(tools)
    group = BlankResource(name="sources").add(tools, app)
    registered = compile_under_mocks([group])
    app_registered = registered.named("app")
    assert app_registered.type == GIT_REPO_TYPE
    assert registered.name_of(app_registered.parent) == "sources"
    assert [registered.name_of(urn) for urn in app_registered.dependencies] == ["tools"]


def test_the_compiled_provider_clones_as_the_engine_would_ask_it_to(project, remote, git_plugin):
    """From the resource to a real clone, with only the engine left out: the provider
    serialized into the registered inputs runs create, then the assertion checks it."""
    repo = GitRepoResource(
        name="app",
        repo_url=remote.url,
        dest="vendor/app",
        branch="dev",
        assertions=[GitRepoClonedAssert()],
    )
    (compiled,) = compile_under_mocks([repo])
    provider, inputs = dynamic_provider_of(compiled)

    created = provider.create(inputs)

    assert (project / "vendor" / "app" / "DEV.md").read_text() == "dev branch\n"
    assert created.outs["commit"] == remote.sha("dev")
    repo.assertions[0].check(repo)  # GitRepoClonedAssert passes on what was made
    provider.delete(created.id, created.outs)
    assert not (project / "vendor").exists()
