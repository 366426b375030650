"""Loading a user's main.py: errors a user can act on, and every resource collected."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from clockwork import BlankResource, CycleError, ProjectError
from clockwork.loader import load_project
from clockwork.plugins import PluginHost, Registry


def write(folder: Path, text: str, name: str = "main.py") -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load_error(target) -> str:
    with pytest.raises(ProjectError) as caught:
        load_project(target)
    message = str(caught.value)
    assert "Traceback" not in message
    assert "\n" not in message
    return message


# ----- finding main.py ----------------------------------------------------------------


def test_missing_main_py_names_the_path(tmp_path):
    message = load_error(tmp_path / "main.py")
    assert str(tmp_path / "main.py") in message
    assert "no such file" in message


def test_directory_without_main_py_names_the_expected_path(tmp_path):
    message = load_error(tmp_path)
    assert str(tmp_path / "main.py") in message


def test_directory_loads_its_main_py(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        app = BlankResource(name="app")
    """,
    )
    project = load_project(tmp_path)
    assert project.main_path == (tmp_path / "main.py").resolve()
    assert project.directory == tmp_path.resolve()
    assert [r.name for r in project.resources] == ["app"]


def test_file_path_and_string_path_work(tmp_path):
    main = write(
        tmp_path,
        """
        from clockwork import BlankResource
        app = BlankResource(name="app")
    """,
    )
    assert [r.name for r in load_project(main).resources] == ["app"]
    assert [r.name for r in load_project(str(main)).resources] == ["app"]


def test_default_is_main_py_in_the_current_folder(tmp_path, monkeypatch):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        here = BlankResource(name="here")
    """,
    )
    monkeypatch.chdir(tmp_path)
    project = load_project()
    assert project.find("here").name == "here"


def test_main_py_with_another_name(tmp_path):
    path = write(
        tmp_path,
        """
        from clockwork import BlankResource
        infra = BlankResource(name="infra")
    """,
        name="infra.py",
    )
    assert load_project(path).main_path.name == "infra.py"


# ----- errors while running main.py ---------------------------------------------------


def test_syntax_error_names_file_and_line(tmp_path):
    main = write(
        tmp_path,
        """
        from clockwork import BlankResource

        app = BlankResource(name="app"
    """,
    )
    message = load_error(tmp_path)
    assert message.startswith(f"{main.resolve()}:3: syntax error")
    assert 'app = BlankResource(name="app"' in message


def test_syntax_error_in_an_imported_neighbour_names_that_file(tmp_path):
    write(tmp_path, "import broken_neighbour_mod\n")
    neighbour = write(tmp_path, "a = 1\nb = 2\nvalue = (\n", name="broken_neighbour_mod.py")
    message = load_error(tmp_path)
    assert message.startswith(f"{neighbour.resolve()}:3: syntax error")


def test_main_raising_names_file_line_and_exception_type(tmp_path):
    main = write(
        tmp_path,
        """
        from clockwork import BlankResource
        app = BlankResource(name="app")
        settings = {}
        port = settings["port"]
    """,
    )
    message = load_error(tmp_path)
    assert message == f"{main.resolve()}:4: KeyError: 'port'"


def test_exception_in_a_function_points_at_the_deepest_line_in_main(tmp_path):
    main = write(
        tmp_path,
        """
        def boom():
            raise RuntimeError("no luck")

        boom()
    """,
    )
    assert load_error(tmp_path) == f"{main.resolve()}:2: RuntimeError: no luck"


def test_clockwork_error_in_main_is_shown_without_its_type(tmp_path):
    main = write(
        tmp_path,
        """
        from clockwork import BlankResource
        app = BlankResource(name="app")
        app.add(app)
    """,
    )
    message = load_error(tmp_path)
    assert message.startswith(f"{main.resolve()}:3: BlankResource('app') cannot be added")
    assert "ProjectError" not in message


def test_failed_load_leaves_no_module_behind(tmp_path):
    write(tmp_path, "raise ValueError('nope')\n")
    before = set(sys.modules)
    path_before = list(sys.path)
    load_error(tmp_path)
    assert not {m for m in set(sys.modules) - before if m.startswith("clockwork_main_")}
    assert sys.path == path_before


def test_system_exit_in_main_is_a_project_error_not_an_exit(tmp_path):
    # An exit would end plan or assert with its status and no report at all.
    write(tmp_path, "raise SystemExit(3)\n")
    with pytest.raises(ProjectError, match=r"main.py:1: main.py called sys.exit\(3\)"):
        load_project(tmp_path)


def test_missing_plugin_import_names_the_type_and_distribution(tmp_path):
    main = write(
        tmp_path,
        """
        from clockwork_nonexistent import FooResource

        foo = FooResource(name="foo")
    """,
    )
    message = load_error(tmp_path)
    assert message.startswith(f"{main.resolve()}:1: ")
    assert (
        "resource type FooResource comes from clockwork-nonexistent, which is not installed"
        in message
    )
    assert "pip install clockwork-nonexistent" in message


def test_missing_plugin_import_with_several_names(tmp_path):
    write(tmp_path, "from clockwork_nonexistent.sub import Foo, Bar\n")
    message = load_error(tmp_path)
    assert "Foo, Bar come from clockwork-nonexistent, which is not installed" in message


def test_missing_plugin_plain_import_names_the_module(tmp_path):
    write(tmp_path, "import clockwork_nonexistent\n")
    message = load_error(tmp_path)
    assert "module clockwork_nonexistent comes from clockwork-nonexistent" in message


def test_other_missing_modules_are_plain_errors(tmp_path):
    write(tmp_path, "import definitely_not_a_module_xyz\n")
    message = load_error(tmp_path)
    assert "ModuleNotFoundError" in message
    assert "definitely_not_a_module_xyz" in message


def test_invalid_field_type_shows_resource_name_and_line(tmp_path):
    main = write(
        tmp_path,
        """
        from clockwork import Resource

        class Database(Resource):
            port: int | None = None

        db = Database(name="db", port="five")
    """,
    )
    message = load_error(tmp_path)
    assert message.startswith(f"{main.resolve()}:6: invalid Database 'db'")
    assert "port" in message
    assert "valid integer" in message


# ----- collecting resources -----------------------------------------------------------


def test_resources_in_lists_tuples_and_dicts_are_collected(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource

        single = BlankResource(name="single")
        workers = [BlankResource(name=f"worker{i}") for i in range(3)]
        pair = (BlankResource(name="left"), BlankResource(name="right"))
        by_env = {"dev": BlankResource(name="dev"), "prod": {"eu": BlankResource(name="eu")}}
    """,
    )
    project = load_project(tmp_path)
    assert [r.name for r in project.resources] == [
        "single",
        "worker0",
        "worker1",
        "worker2",
        "left",
        "right",
        "dev",
        "eu",
    ]


def test_a_resource_bound_to_two_names_is_collected_once(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        app = BlankResource(name="app")
        alias = app
        every = [app, alias]
    """,
    )
    assert [r.name for r in load_project(tmp_path).resources] == ["app"]


def test_children_reachable_only_through_a_composite_are_collected(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource

        def build():
            inner = BlankResource(name="inner").add(BlankResource(name="leaf"))
            return BlankResource(name="stack").add(inner)

        stack = build()
    """,
    )
    project = load_project(tmp_path)
    assert [r.name for r in project.resources] == ["stack", "inner", "leaf"]
    assert [r.name for r in project.roots] == ["stack"]
    assert project.find("leaf").parent is project.find("inner")


def test_connected_resources_reachable_only_through_a_connection_are_collected(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        api = BlankResource(name="api").connect(BlankResource(name="db"))
    """,
    )
    project = load_project(tmp_path)
    assert [r.name for r in project.resources] == ["db", "api"]


def test_resources_come_in_deployment_order(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        api = BlankResource(name="api")
        db = BlankResource(name="db")
        api.connect(db)
    """,
    )
    assert [r.name for r in load_project(tmp_path).resources] == ["db", "api"]


def test_main_can_import_a_module_in_its_folder(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import Resource

        class Service(Resource):
            port: int | None = None

        PORT = 8080
    """,
        name="neighbour_defs_a.py",
    )
    write(
        tmp_path,
        """
        from neighbour_defs_a import PORT, Service
        web = Service(name="web", port=PORT)
    """,
    )
    project = load_project(tmp_path)
    web = project.find("web")
    assert type(web).__name__ == "Service"
    assert web.port == 8080


def test_main_can_import_a_package_in_its_folder(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        shared = BlankResource(name="shared")
    """,
        name="neighbour_pkg_b/__init__.py",
    )
    write(
        tmp_path,
        """
        from neighbour_pkg_b import shared
        from clockwork import BlankResource
        app = BlankResource(name="app").add(shared)
    """,
    )
    assert [r.name for r in load_project(tmp_path).resources] == ["app", "shared"]


def test_sys_path_is_restored_after_loading(tmp_path):
    write(tmp_path, "x = 1\n")
    before = list(sys.path)
    load_project(tmp_path)
    assert sys.path == before


def test_loading_twice_runs_main_and_its_neighbours_again(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        db = BlankResource(name="db")
    """,
        name="neighbour_shared_c.py",
    )
    write(
        tmp_path,
        """
        from neighbour_shared_c import db
        from clockwork import BlankResource
        app = BlankResource(name="app").add(db)
    """,
    )
    first = load_project(tmp_path)
    second = load_project(tmp_path)  # the neighbour's db must be a fresh, parentless one
    assert [r.name for r in second.resources] == ["app", "db"]
    assert second.find("db") is not first.find("db")
    assert second.find("db").parent is second.find("app")


def test_two_projects_with_same_named_neighbours_each_get_their_own(tmp_path):
    for project, port in (("one", 1111), ("two", 2222)):
        write(tmp_path / project, f"PORT = {port}\n", name="neighbour_conf_d.py")
        write(
            tmp_path / project,
            """
            from neighbour_conf_d import PORT
            from clockwork import BlankResource
            app = BlankResource(name=f"app{PORT}")
        """,
        )
    assert [r.name for r in load_project(tmp_path / "one").resources] == ["app1111"]
    assert [r.name for r in load_project(tmp_path / "two").resources] == ["app2222"]


def test_project_dir_is_set_on_every_resource(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        app = BlankResource(name="app").add(BlankResource(name="child"))
    """,
    )
    project = load_project(tmp_path)
    assert len(project.resources) == 2
    for resource in project.resources:
        assert resource.project_dir == tmp_path.resolve()


def test_project_dir_reaches_grandchildren_and_resources_known_only_by_a_connection(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        inner = BlankResource(name="inner").add(BlankResource(name="leaf"))
        app = BlankResource(name="app").add(inner)
        app.connect(BlankResource(name="peer").add(BlankResource(name="peer-child")))
        del inner
    """,
    )
    project = load_project(tmp_path)
    assert sorted(r.name for r in project.resources) == [
        "app",
        "inner",
        "leaf",
        "peer",
        "peer-child",
    ]
    assert {r.name: r.project_dir for r in project.resources} == dict.fromkeys(
        ["app", "inner", "leaf", "peer", "peer-child"], tmp_path.resolve()
    )


def test_find_unknown_name_errors(tmp_path):
    write(tmp_path, "from clockwork import BlankResource\napp = BlankResource(name='app')\n")
    project = load_project(tmp_path)
    with pytest.raises(ProjectError, match="no resource named 'ghost' in main.py"):
        project.find("ghost")


def test_empty_main_py_gives_an_empty_project(tmp_path):
    write(tmp_path, "\n")
    project = load_project(tmp_path)
    assert project.resources == []
    assert project.roots == []


# ----- inconsistent projects ----------------------------------------------------------


def test_duplicate_names_error(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        first = BlankResource(name="web")
        second = BlankResource(name="web")
    """,
    )
    message = load_error(tmp_path)
    assert "two resources are named 'web'" in message


def test_cycle_error(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import BlankResource
        postgres = BlankResource(name="postgres")
        api = BlankResource(name="api")
        postgres.connect(api)
        api.connect(postgres)
    """,
    )
    with pytest.raises(CycleError) as caught:
        load_project(tmp_path)
    assert caught.value.path == ["postgres", "api", "postgres"]
    assert "postgres → api → postgres" in str(caught.value)


# ----- with a registry ----------------------------------------------------------------


def test_types_defined_in_the_project_need_no_plugin(tmp_path):
    write(
        tmp_path,
        """
        from clockwork import Resource
        class Local(Resource):
            pass
        thing = Local(name="thing")
    """,
    )
    project = load_project(tmp_path, registry=Registry())
    assert project.find("thing").name == "thing"


def test_types_of_a_loaded_plugin_pass_the_registry_check(tmp_path):
    write(tmp_path, "from clockwork import BlankResource\napp = BlankResource(name='app')\n")
    host = PluginHost()
    host.register_builtin()
    project = load_project(tmp_path, registry=host.registry)
    assert project.find("app").name == "app"


def test_type_of_an_installed_but_not_loaded_distribution_errors(tmp_path):
    write(tmp_path, "from clockwork import BlankResource\napp = BlankResource(name='app')\n")
    with pytest.raises(ProjectError) as caught:
        load_project(tmp_path, registry=Registry())
    message = str(caught.value)
    assert "resource type BlankResource comes from clockwork-core" in message
    assert "not enabled" in message


def test_type_clashing_with_another_registration_errors(tmp_path):
    write(tmp_path, "from clockwork import BlankResource\napp = BlankResource(name='app')\n")
    registry = Registry()

    class BlankResourceImpostor:
        pass

    registry.add("resources", "BlankResource", BlankResourceImpostor, "impostor-dist")
    with pytest.raises(ProjectError) as caught:
        load_project(tmp_path, registry=registry)
    assert "clashes with the one impostor-dist registers" in str(caught.value)


def test_blank_resource_is_the_core_type(tmp_path):
    write(tmp_path, "from clockwork import BlankResource\napp = BlankResource(name='app')\n")
    assert type(load_project(tmp_path).find("app")) is BlankResource


# ----- what main.py prints ------------------------------------------------------------


CHATTY_NEIGHBOUR = """
    print("chatty_neighbour_e: imported")
"""

CHATTY_MAIN = """
    import chatty_neighbour_e
    from clockwork import BlankResource

    print("main.py: debugging output")
    site = BlankResource(name="site", description="The site")
"""


def test_what_main_py_and_its_imports_print_goes_to_stderr(tmp_path, capsys):
    write(tmp_path, CHATTY_NEIGHBOUR, name="chatty_neighbour_e.py")
    write(tmp_path, CHATTY_MAIN)

    project = load_project(tmp_path)

    out, err = capsys.readouterr()
    assert [r.name for r in project.resources] == ["site"]
    assert out == ""
    assert err == "chatty_neighbour_e: imported\nmain.py: debugging output\n"
    print("stdout is stdout again")
    assert capsys.readouterr().out == "stdout is stdout again\n"


def test_stdout_is_restored_when_main_py_fails(tmp_path, capsys):
    write(
        tmp_path,
        """
        print("before the failure")
        raise RuntimeError("boom")
    """,
    )

    load_error(tmp_path)

    out, err = capsys.readouterr()
    assert (out, err) == ("", "before the failure\n")
    print("stdout is stdout again")
    assert capsys.readouterr() == ("stdout is stdout again\n", "")


@pytest.mark.parametrize("command", ["plan", "show"])
def test_json_stdout_stays_json_when_main_py_prints(tmp_path, command, no_pulumi_cli):
    from click.testing import CliRunner

    from clockwork.testing import plugin_host
    from clockwork_cli.main import build_cli

    write(tmp_path, CHATTY_NEIGHBOUR, name="chatty_neighbour_e.py")
    main = write(tmp_path, CHATTY_MAIN)

    with plugin_host():
        result = CliRunner().invoke(build_cli(), [command, str(main), "--json"])

    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)  # nothing but the report
    assert [r["name"] for r in report["resources"]] == ["site"]
    assert "chatty_neighbour_e: imported\n" in result.stderr
    assert "main.py: debugging output\n" in result.stderr


def test_declared_keys_name_each_resource_before_completion(tmp_path):
    main = tmp_path / "main.py"
    main.write_text(
        "from clockwork import BlankResource\n"
        "a = BlankResource(description='first unnamed')\n"
        "b = BlankResource(name='b', description='named')\n"
        "c = BlankResource(description='second unnamed')\n"
        "group = BlankResource(name='group', description='holds one').add(\n"
        "    BlankResource(description='child')\n"
        ")\n"
    )
    project = load_project(main)
    keys = {r.description: r.declared_key for r in project.resources}
    assert keys == {
        "first unnamed": "BlankResource:<unnamed BlankResource>#1",
        "named": "BlankResource:b",
        "second unnamed": "BlankResource:<unnamed BlankResource>#2",
        "holds one": "BlankResource:group",
        "child": "BlankResource:group/<unnamed BlankResource>#1",
    }
