"""FileResource compiled by Clockwork's Pulumi compiler, under Pulumi's mock engine."""

from __future__ import annotations

from pathlib import Path

import pytest

from clockwork import BlankResource, ProjectError
from clockwork.testing import compile_under_mocks, dynamic_provider_of, plugin_host
from clockwork_files import FileResource
from clockwork_files.provider import FileProvider

FILE_TYPE = "pulumi-python:dynamic/clockwork:File"


@pytest.fixture(autouse=True)
def core_only_host():
    """Core's built-ins (the Pulumi compiler) only, whatever else is installed."""
    with plugin_host() as host:
        yield host


def file_in(project: Path, name: str, **fields) -> FileResource:
    fields.setdefault("description", f"the {name} file")
    resource = FileResource(name=name, **fields)
    resource.bind_to_project(project)
    return resource


def test_file_registers_a_dynamic_resource_with_its_inputs(tmp_path):
    registered = compile_under_mocks([file_in(tmp_path, "a.txt", content="hello\n")])

    assert registered.names() == ["a.txt"]
    file = registered.named("a.txt")
    assert file.type == FILE_TYPE
    assert file.custom is True
    assert file.parent == ""
    assert file.dependencies == []
    assert set(file.inputs) == {"path", "content", "__claimant", "__claims_dir", "__provider"}
    assert file.inputs["path"] == str(tmp_path / "a.txt")
    assert Path(file.inputs["path"]).is_absolute()
    assert file.inputs["content"] == "hello\n"
    assert "mode" not in file.inputs  # not set: 0644 for a new file, kept for an adopted one
    assert file.inputs["__claimant"] == "FileResource:a.txt"
    assert file.inputs["__claims_dir"] == str(tmp_path / ".clockwork" / "claims")
    assert isinstance(dynamic_provider_of(file)[0], FileProvider)


def test_compiling_writes_nothing(tmp_path):
    compile_under_mocks([file_in(tmp_path, "a.txt", directory="sub", content="x")])
    assert list(tmp_path.iterdir()) == []


def test_inputs_follow_directory_mode_and_path(tmp_path):
    nested = file_in(tmp_path, "run.sh", directory="bin", content="#!/bin/sh\n", mode="755")
    absolute = FileResource(description="d", path=str(tmp_path / "abs" / "x.conf"), content="")
    registered = compile_under_mocks([nested, absolute])

    assert registered.named("run.sh").inputs["path"] == str(tmp_path / "bin" / "run.sh")
    assert registered.named("run.sh").inputs["mode"] == "0755"
    assert registered.named("x.conf").inputs["path"] == str(tmp_path / "abs" / "x.conf")
    assert registered.named("x.conf").inputs["content"] == ""


def test_file_inside_a_blank_resource_is_parented_to_the_composite(tmp_path):
    group = BlankResource(name="docs").add(
        file_in(tmp_path, "README.md", content="# hi\n"),
        file_in(tmp_path, "LICENSE", content="MIT\n"),
    )
    registered = compile_under_mocks([group])

    composite = registered.named("docs")
    assert composite.type == "clockwork:composite:BlankResource"
    assert composite.custom is False
    assert composite.parent == ""
    for name in ("README.md", "LICENSE"):
        assert registered.named(name).parent == composite.urn
        assert registered.name_of(registered.named(name).parent) == "docs"
    assert len(registered) == 3


def test_connect_becomes_a_dependency(tmp_path):
    config = file_in(tmp_path, "config.ini", content="port = 80\n")
    script = file_in(tmp_path, "start.sh", content="serve --config config.ini\n").connect(config)
    registered = compile_under_mocks([script])  # config is reached through the connection

    assert sorted(registered.names()) == ["config.ini", "start.sh"]
    assert registered.named("start.sh").dependencies == [registered.named("config.ini").urn]
    assert registered.named("config.ini").dependencies == []


def test_connect_to_a_group_of_files_depends_on_each(tmp_path):
    group = BlankResource(name="conf").add(
        file_in(tmp_path, "a.ini", content="a\n"), file_in(tmp_path, "b.ini", content="b\n")
    )
    user = file_in(tmp_path, "use.sh", content="cat a.ini b.ini\n").connect(group)
    registered = compile_under_mocks([user, group])

    names = {registered.name_of(urn) for urn in registered.named("use.sh").dependencies}
    assert names == {"a.ini", "b.ini"}


def test_missing_content_fails_the_compile(tmp_path):
    with pytest.raises(ProjectError, match=r"FileResource\('a.txt'\): content is not set"):
        compile_under_mocks([file_in(tmp_path, "a.txt")])


def test_ai_path_escaping_the_project_fails_the_compile(tmp_path):
    resource = file_in(tmp_path, "a.txt", content="x", directory="../../etc")
    resource.mark_ai_filled("directory")
    with pytest.raises(ProjectError, match="leaves the project folder"):
        compile_under_mocks([resource])


def test_the_compiled_provider_does_the_work_the_engine_would_ask_of_it(tmp_path):
    """From main.py's resource to a file on disk, with only the engine left out: the
    provider serialized into the registered inputs runs create and delete for real."""
    resource = file_in(tmp_path, "run.sh", directory="bin", content="#!/bin/sh\n", mode="750")
    (compiled,) = compile_under_mocks([resource])
    provider, inputs = dynamic_provider_of(compiled)

    created = provider.create(inputs)

    written = tmp_path / "bin" / "run.sh"
    assert written.read_text() == "#!/bin/sh\n"
    assert oct(written.stat().st_mode & 0o777) == oct(0o750)
    provider.delete(created.id, created.outs)
    assert list(tmp_path.iterdir()) == []  # the file and the folder it needed are gone
