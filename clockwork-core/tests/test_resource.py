"""The Resource model: completable fields, composition, connections."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, Optional

import pytest
from pydantic import Field

from clockwork import (
    BlankResource,
    PortAccessibleAssert,
    ProjectError,
    Resource,
    ResourceValidationError,
)


class Database(Resource):
    image: str | None = Field(None, description="Container image.")
    port: int | None = None
    version: Optional[str] = None  # noqa: UP045 (the old spelling must work too)
    engine: Annotated[str | None, Field(description="Engine name.")] = None
    replicas: int = 1
    tier: Literal["small", "large"] | None = None
    data_dir: Path | None = None


class ManagedDatabase(Database):
    password: str | None = None
    user_only_fields = frozenset({"password", "version"})


class EncryptedDatabase(ManagedDatabase):
    key_id: str | None = None
    user_only_fields = frozenset({"key_id"})


class Strict(Resource):
    count: int = 0
    label: str = "x"
    anything: Any = None


# ----- completable fields -------------------------------------------------------------


def test_optional_fields_are_completable_in_declaration_order():
    assert Database.completable_fields() == (
        "name",
        "image",
        "port",
        "version",
        "engine",
        "tier",
        "data_dir",
    )


def test_base_user_only_fields_are_never_completable():
    for field in ("description", "assertions", "connections"):
        assert field not in Database.completable_fields()
        assert field not in BlankResource.completable_fields()


def test_user_only_fields_on_a_subclass_exclude_its_fields():
    fields = ManagedDatabase.completable_fields()
    assert "password" not in fields
    assert "version" not in fields  # declared in the base class, excluded by the subclass
    assert "image" in fields


def test_user_only_fields_merge_with_every_base():
    fields = EncryptedDatabase.completable_fields()
    assert "key_id" not in fields
    assert "password" not in fields  # from ManagedDatabase
    assert "version" not in fields
    assert "description" not in fields  # from Resource
    assert fields == ("name", "image", "port", "engine", "tier", "data_dir")


def test_subclass_user_only_fields_do_not_leak_into_the_base():
    assert "version" in Database.completable_fields()
    assert "key_id" not in ManagedDatabase.model_fields
    assert "password" in ManagedDatabase.model_fields
    assert ManagedDatabase.user_only_fields == frozenset({"password", "version"})


def test_non_optional_fields_are_never_completable():
    assert "replicas" not in Database.completable_fields()
    assert "count" not in Strict.completable_fields()
    assert "label" not in Strict.completable_fields()


def test_any_field_allows_none_so_it_is_completable():
    assert "anything" in Strict.completable_fields()


def test_fields_to_complete_are_the_completable_ones_left_none():
    db = Database(name="db", port=5432, image="postgres:16")
    assert db.fields_to_complete() == ["version", "engine", "tier", "data_dir"]
    assert db.needs_completion()


def test_needs_completion_false_when_every_completable_field_is_set():
    db = Database(
        name="db",
        image="postgres:16",
        port=5432,
        version="16",
        engine="pg",
        tier="small",
        data_dir=Path("data"),
    )
    assert db.fields_to_complete() == []
    assert db.needs_completion() is False


def test_needs_completion_for_a_fresh_blank_resource_only_the_name():
    blank = BlankResource()
    assert blank.fields_to_complete() == ["name"]
    assert BlankResource(name="group").needs_completion() is False


def test_user_set_fields_are_the_values_given_not_defaults():
    db = Database(name="db", port=5432, replicas=1)
    assert db.user_set_fields() == {"name": "db", "port": 5432, "replicas": 1}
    assert "image" not in db.user_set_fields()


def test_user_set_fields_are_json_safe():
    db = Database(name="db", data_dir=Path("some/dir"), tier="large")
    values = db.user_set_fields()
    assert values["data_dir"] == "some/dir"
    json.dumps(values)


def test_user_set_fields_skip_ai_filled_and_connections():
    db = Database(name="db")
    db.image = "postgres:16"
    db.mark_ai_filled("image")
    api = Database(name="api", port=80).connect(db)
    assert db.user_set_fields() == {"name": "db"}
    assert db.ai_filled_fields == frozenset({"image"})
    assert api.user_set_fields() == {"name": "api", "port": 80}


def test_connection_context_is_json_safe_and_has_type_and_name():
    db = Database(name="db", port=5432, data_dir=Path("/srv/db"), description="main store")
    db.assertions.append(PortAccessibleAssert(port=5432))
    context = db.get_connection_context()
    assert context["type"] == "Database"
    assert context["name"] == "db"
    assert context["port"] == 5432
    assert context["data_dir"] == "/srv/db"
    assert context["description"] == "main store"
    assert "assertions" not in context
    assert "connections" not in context
    assert json.loads(json.dumps(context)) == context


def test_connection_context_leaves_unset_fields_out():
    context = Database(name="db").get_connection_context()
    assert "image" not in context
    assert context == {"type": "Database", "name": "db", "replicas": 1}


# ----- validation ---------------------------------------------------------------------


def test_invalid_field_type_names_type_resource_and_field():
    with pytest.raises(ResourceValidationError) as caught:
        Database(name="db", port="not-a-port")
    message = str(caught.value)
    assert "Database" in message
    assert "'db'" in message
    assert "port" in message
    assert caught.value.type_name == "Database"
    assert caught.value.resource_name == "db"
    assert caught.value.errors[0]["loc"] == ("port",)


def test_validation_error_is_a_project_error_and_a_value_error():
    with pytest.raises(ProjectError):
        Database(name="db", replicas="many")
    with pytest.raises(ValueError):
        Database(name="db", replicas="many")


def test_validation_error_without_a_name_still_names_the_type():
    with pytest.raises(ResourceValidationError) as caught:
        Database(tier="medium")
    assert str(caught.value).startswith("invalid Database:")
    assert "tier" in str(caught.value)


def test_validation_error_lists_every_bad_field():
    with pytest.raises(ResourceValidationError) as caught:
        Database(name="db", port="x", replicas="y")
    message = str(caught.value)
    assert "'port'" in message and "'replicas'" in message


def test_unknown_fields_are_refused():
    with pytest.raises(ResourceValidationError) as caught:
        Database(name="db", colour="red")
    assert "colour" in str(caught.value)


def test_repr_and_display_name():
    assert repr(Database(name="db")) == "Database('db')"
    assert Database().display_name == "<unnamed Database>"


def test_project_dir_defaults_to_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert Database(name="db").project_dir == Path.cwd()


def test_to_pulumi_must_be_implemented_but_blank_resource_deploys_nothing():
    with pytest.raises(NotImplementedError, match="Database"):
        Database(name="db").to_pulumi()
    assert BlankResource(name="group").to_pulumi() is None


# ----- composition --------------------------------------------------------------------


def test_add_returns_self_and_chains():
    app = BlankResource(name="app")
    db, cache, web = Database(name="db"), Database(name="cache"), Database(name="web")
    assert app.add(db) is app
    assert app.add(cache).add(web) is app
    assert list(app.children) == ["db", "cache", "web"]
    assert db.parent is app and web.parent is app


def test_add_takes_several_children_at_once():
    app = BlankResource(name="app").add(Database(name="a"), Database(name="b"))
    assert list(app.children) == ["a", "b"]


def test_children_is_a_read_only_mapping():
    db = Database(name="db")
    app = BlankResource(name="app").add(db, Database(name="cache"))
    children = app.children
    assert isinstance(children, Mapping)
    assert children["db"] is db
    assert children.get("db") is db
    assert children.get("missing") is None
    assert "db" in children
    assert "missing" not in children
    assert len(children) == 2
    assert list(children) == ["db", "cache"]
    assert list(children.values())[0] is db
    with pytest.raises(KeyError):
        children["missing"]
    with pytest.raises(TypeError):
        children["other"] = Database(name="other")  # type: ignore[index]
    with pytest.raises(TypeError):
        del children["db"]  # type: ignore[attr-defined]
    with pytest.raises(AttributeError):
        app.children = {}  # type: ignore[misc]


def test_children_iterate_in_insertion_order_not_name_order():
    names = ["zeta", "alpha", "mid", "beta"]
    app = BlankResource(name="app").add(*(Database(name=n) for n in names))
    assert list(app.children) == names
    assert [c.name for c in app.all_children] == names


def test_unnamed_children_are_kept_but_not_in_the_mapping():
    unnamed = Database()
    app = BlankResource(name="app").add(unnamed, Database(name="db"))
    assert list(app.children) == ["db"]
    assert len(app.children) == 1
    assert None not in app.children
    assert app.all_children[0] is unnamed
    assert unnamed.parent is app


def test_two_unnamed_children_are_allowed():
    app = BlankResource(name="app").add(Database(), Database())
    assert len(app.all_children) == 2


def test_duplicate_child_names_error():
    app = BlankResource(name="app").add(Database(name="db"))
    with pytest.raises(ProjectError, match="already has a child named 'db'"):
        app.add(Database(name="db"))
    assert len(app.all_children) == 1


def test_child_added_twice_to_the_same_parent_errors():
    db = Database(name="db")
    app = BlankResource(name="app").add(db)
    with pytest.raises(ProjectError, match="already a child of BlankResource\\('app'\\)"):
        app.add(db)
    assert app.all_children == (db,)


def test_child_added_twice_in_one_call_errors():
    db = Database()
    with pytest.raises(ProjectError, match="given twice"):
        BlankResource(name="app").add(db, db)
    assert db.parent is None


def test_child_added_to_another_parent_errors():
    db = Database(name="db")
    BlankResource(name="first").add(db)
    other = BlankResource(name="second")
    with pytest.raises(ProjectError, match="one parent"):
        other.add(db)
    assert db.parent.name == "first"
    assert len(other.children) == 0


def test_resource_cannot_be_added_inside_itself():
    app = BlankResource(name="app")
    with pytest.raises(ProjectError, match="inside itself"):
        app.add(app)
    assert app.parent is None


def test_ancestor_cannot_be_added_inside_its_descendant():
    root = BlankResource(name="root")
    middle = BlankResource(name="middle")
    leaf = BlankResource(name="leaf")
    root.add(middle)
    middle.add(leaf)
    with pytest.raises(ProjectError, match="inside itself"):
        leaf.add(root)
    with pytest.raises(ProjectError, match="inside itself"):
        middle.add(root)
    assert root.parent is None
    assert leaf.all_children == ()


def test_add_refuses_non_resources():
    with pytest.raises(ProjectError, match="takes resources, got str"):
        BlankResource(name="app").add("db")  # type: ignore[arg-type]


def test_blank_resource_groups_children_and_nests():
    inner = BlankResource(name="inner").add(Database(name="db"))
    outer = BlankResource(name="outer", description="the whole stack").add(inner)
    assert outer.children["inner"].children["db"].parent is inner
    assert inner.parent is outer
    assert BlankResource.type_name() == "BlankResource"
    assert BlankResource.completable_fields() == ("name",)


def test_deep_tree_built_top_down_stays_fast():
    root = BlankResource(name="n0")
    current = root
    for i in range(1, 3000):
        child = BlankResource(name=f"n{i}")
        current.add(child)
        current = child
    with pytest.raises(ProjectError, match="inside itself"):
        current.add(root)


# ----- connections --------------------------------------------------------------------


def test_connect_returns_self_and_records_the_peer():
    db = Database(name="db", port=5432)
    api = Database(name="api")
    assert api.connect(db) is api
    assert api.connected == (db,)
    assert api.connections == [{"type": "Database", "name": "db", "port": 5432, "replicas": 1}]
    json.dumps(api.connections)
    assert db.connected == ()  # connecting is one-way


def test_connect_chains_and_keeps_order():
    db, cache, queue = Database(name="db"), Database(name="cache"), Database(name="queue")
    api = Database(name="api").connect(db).connect(cache, queue)
    assert [peer.name for peer in api.connected] == ["db", "cache", "queue"]
    assert [c["name"] for c in api.connections] == ["db", "cache", "queue"]


def test_connecting_to_self_errors():
    api = Database(name="api")
    with pytest.raises(ProjectError, match="cannot connect to itself"):
        api.connect(api)
    assert api.connected == ()


def test_connecting_twice_is_idempotent():
    db = Database(name="db")
    api = Database(name="api").connect(db)
    api.connect(db)
    api.connect(db, db)
    assert api.connected == (db,)
    assert len(api.connections) == 1


def test_connecting_equal_but_distinct_resources_keeps_both():
    first, second = Database(), Database()
    assert first.model_dump() == second.model_dump()
    api = Database(name="api").connect(first, second)
    assert len(api.connected) == 2


def test_connect_refuses_non_resources():
    with pytest.raises(ProjectError, match="takes resources, got int"):
        Database(name="api").connect(42)  # type: ignore[arg-type]


def test_refresh_connections_picks_up_changed_peer_values():
    db = Database(name="db")
    api = Database(name="api").connect(db)
    assert "port" not in api.connections[0]
    db.port = 6543
    assert "port" not in api.connections[0]  # a snapshot until refreshed
    api.refresh_connections()
    assert api.connections[0]["port"] == 6543


def test_connection_context_of_a_peer_does_not_include_its_own_connections():
    db = Database(name="db")
    api = Database(name="api").connect(db)
    web = Database(name="web").connect(api)
    assert web.connections == [{"type": "Database", "name": "api", "replicas": 1}]


def test_mutual_connections_do_not_recurse():
    a, b = Database(name="a"), Database(name="b")
    a.connect(b)
    b.connect(a)
    a.refresh_connections()
    assert a.connections[0]["name"] == "b"
    assert b.connections[0]["name"] == "a"


def test_assignment_is_validated():
    db = Database(name="db")
    with pytest.raises(ValueError):
        db.port = "not-a-port"
    assert db.port is None


def test_assertions_hold_their_concrete_types():
    db = Database(name="db", assertions=[PortAccessibleAssert(port=5432)])
    dumped = db.model_dump(mode="json")
    assert dumped["assertions"] == [
        {"timeout_seconds": 5.0, "port": 5432, "host": "127.0.0.1", "protocol": "tcp"}
    ]


def test_add_is_all_or_nothing():
    from clockwork import BlankResource, ProjectError

    owner = BlankResource(name="owner")
    first = BlankResource(name="first")
    taken = BlankResource(name="taken")
    BlankResource(name="other").add(taken)
    with pytest.raises(ProjectError, match="already a child"):
        owner.add(first, taken)
    assert first.parent is None
    assert list(owner.children) == []


def test_the_model_reads_a_plain_secret_field_as_secret_and_secret_names_in_mappings() -> None:
    from typing import ClassVar

    from clockwork.prompts import build_prompt_context

    class Service(Resource):
        token: str | None = None
        settings: dict[str, str] | None = None
        secret_fields: ClassVar[frozenset[str]] = frozenset({"token"})

    peer = Service(name="peer", token="tok-1", settings={"SENTRY_DSN": "dsn-1", "MODE": "x"})
    service = Service(name="svc", settings={"BILLING_URL": "url-1"}).connect(peer)

    assert peer.for_model()["token"] == "<secret>"
    context = build_prompt_context(service, secret_names=["*_url"]).as_dict()
    assert context["user_fields"]["settings"] == {"BILLING_URL": "<secret>"}
    assert context["connections"][0]["settings"] == {"SENTRY_DSN": "<secret>", "MODE": "x"}
    assert context["connections"][0]["token"] == "<secret>"
