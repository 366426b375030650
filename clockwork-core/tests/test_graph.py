"""Deployment order: flatten, topological order, cycles, unique names."""

from __future__ import annotations

import sys

import pytest

from clockwork import BlankResource, CycleError, ProjectError, Resource
from clockwork.graph import check_unique_names, dependencies, flatten, topological_order


class Node(Resource):
    pass


def names(resources):
    return [r.name for r in resources]


def position(order, name):
    return names(order).index(name)


# ----- flatten ------------------------------------------------------------------------


def test_flatten_reaches_children_connections_and_parents_in_declaration_order():
    db = Node(name="db")
    cache = Node(name="cache")
    api = Node(name="api").connect(db)
    app = BlankResource(name="app").add(cache, api)
    # From a leaf alone: its parent, siblings (through the parent) and peers are reached.
    assert names(flatten([cache])) == ["db", "cache", "api", "app"]
    assert names(flatten([app])) == ["db", "cache", "api", "app"]


def test_flatten_lists_each_resource_once():
    db = Node(name="db")
    a = Node(name="a").connect(db)
    b = Node(name="b").connect(db)
    assert names(flatten([a, b, db, a])) == ["db", "a", "b"]


def test_dependencies_are_parent_then_connections():
    db = Node(name="db")
    cache = Node(name="cache")
    api = Node(name="api").connect(cache, db)
    BlankResource(name="app").add(api)
    assert names(dependencies(api)) == ["app", "cache", "db"]
    assert dependencies(db) == []


# ----- order --------------------------------------------------------------------------


def test_parent_comes_before_child_even_when_declared_after():
    child = Node(name="child")
    grandchild = Node(name="grandchild")
    child.add(grandchild)
    parent = BlankResource(name="parent").add(child)
    order = topological_order([grandchild])
    assert names(order) == ["parent", "child", "grandchild"]
    assert order[0] is parent


def test_connected_comes_before_connector():
    api = Node(name="api")
    db = Node(name="db")  # declared after api
    api.connect(db)
    assert names(topological_order([api, db])) == ["db", "api"]


def test_connected_resource_is_included_even_when_not_given():
    db = Node(name="db")
    api = Node(name="api").connect(db)
    assert names(topological_order([api])) == ["db", "api"]


def test_independent_resources_keep_declaration_order():
    declared = [Node(name=f"r{i}") for i in range(20)]
    shuffled = declared[::-1]
    assert names(topological_order(shuffled)) == [f"r{i}" for i in range(20)]


def test_ties_keep_declaration_order_around_dependencies():
    a = Node(name="a")
    b = Node(name="b")
    c = Node(name="c")
    d = Node(name="d")
    b.connect(d)  # b must wait for d; a, c are free
    order = names(topological_order([d, c, b, a]))
    assert order == ["a", "d", "b", "c"]


def test_order_is_stable_across_calls():
    db = Node(name="db")
    items = [Node(name=f"svc{i}").connect(db) for i in range(10)]
    first = names(topological_order(items))
    assert first == ["db"] + [f"svc{i}" for i in range(10)]
    assert names(topological_order(list(reversed(items)))) == first


def test_diamond():
    base = Node(name="base")
    left = Node(name="left").connect(base)
    right = Node(name="right").connect(base)
    top = Node(name="top").connect(right, left)
    order = topological_order([top])
    assert names(order) == ["base", "left", "right", "top"]
    assert len(order) == 4


def test_children_and_connections_combine():
    db = Node(name="db")
    api = Node(name="api").connect(db)
    web = Node(name="web").connect(api)
    app = BlankResource(name="app").add(web, api)
    order = topological_order([app])
    assert position(order, "app") < position(order, "api") < position(order, "web")
    assert position(order, "db") < position(order, "api")
    assert sorted(names(order)) == ["api", "app", "db", "web"]


def test_every_resource_after_all_its_dependencies():
    nodes = [Node(name=f"n{i}") for i in range(30)]
    for i, node in enumerate(nodes):
        for j in (i * 7 % 30, i * 11 % 30):
            if j < i:
                node.connect(nodes[j])
    order = topological_order(nodes)
    seen = set()
    for resource in order:
        assert all(id(dep) in seen for dep in dependencies(resource))
        seen.add(id(resource))
    assert len(order) == 30


# ----- cycles -------------------------------------------------------------------------


def test_two_node_cycle_message_shows_the_path():
    postgres = Node(name="postgres")
    api = Node(name="api")
    postgres.connect(api)
    api.connect(postgres)
    with pytest.raises(CycleError) as caught:
        topological_order([postgres, api])
    assert str(caught.value) == "dependency cycle: postgres → api → postgres"
    assert caught.value.path == ["postgres", "api", "postgres"]
    assert isinstance(caught.value, ProjectError)


def test_three_node_cycle():
    a, b, c = Node(name="a"), Node(name="b"), Node(name="c")
    a.connect(b)
    b.connect(c)
    c.connect(a)
    with pytest.raises(CycleError) as caught:
        topological_order([c])
    assert caught.value.path == ["a", "b", "c", "a"]
    assert "a → b → c → a" in str(caught.value)


def test_cycle_path_leaves_out_resources_leading_to_it():
    start = Node(name="start")
    x, y = Node(name="x"), Node(name="y")
    start.connect(x)
    x.connect(y)
    y.connect(x)
    with pytest.raises(CycleError) as caught:
        topological_order([start])
    assert caught.value.path == ["x", "y", "x"]


def test_parent_connecting_to_its_child_is_a_cycle():
    child = Node(name="child")
    parent = BlankResource(name="parent").add(child)
    parent.connect(child)
    with pytest.raises(CycleError) as caught:
        topological_order([parent])
    assert caught.value.path == ["child", "parent", "child"]  # child was declared first


def test_child_connecting_to_its_parent_is_fine():
    child = Node(name="child")
    parent = BlankResource(name="parent").add(child)
    child.connect(parent)
    assert names(topological_order([parent])) == ["parent", "child"]


def test_cycle_of_unnamed_resources_uses_display_names():
    a, b = Node(), Node()
    a.connect(b)
    b.connect(a)
    with pytest.raises(CycleError) as caught:
        topological_order([a])
    assert caught.value.path == ["<unnamed Node>"] * 3


# ----- scale --------------------------------------------------------------------------


def test_deep_connection_chain_does_not_hit_the_recursion_limit():
    depth = 5000
    assert depth > sys.getrecursionlimit() // 2
    chain = [Node(name="n0")]
    for i in range(1, depth):
        chain.append(Node(name=f"n{i}").connect(chain[-1]))
    order = topological_order([chain[-1]])
    assert len(order) == depth
    assert names(order) == [f"n{i}" for i in range(depth)]


def test_deep_composition_chain_does_not_hit_the_recursion_limit():
    depth = 5000
    root = BlankResource(name="c0")
    current = root
    for i in range(1, depth):
        child = BlankResource(name=f"c{i}")
        current.add(child)
        current = child
    order = topological_order([current])
    assert len(order) == depth
    assert order[0] is root and order[-1] is current


def test_deep_cycle_is_reported_without_recursion():
    depth = 5000
    chain = [Node(name="n0")]
    for i in range(1, depth):
        chain.append(Node(name=f"n{i}").connect(chain[-1]))
    chain[0].connect(chain[-1])
    with pytest.raises(CycleError) as caught:
        topological_order([chain[0]])
    assert len(caught.value.path) == depth + 1
    assert caught.value.path[0] == caught.value.path[-1]


# ----- unique names -------------------------------------------------------------------


def test_duplicate_names_in_one_project_error():
    first = Node(name="db")
    second = BlankResource(name="db")
    with pytest.raises(ProjectError) as caught:
        check_unique_names(topological_order([first, second]))
    message = str(caught.value)
    assert "'db'" in message
    assert "Node" in message and "BlankResource" in message


def test_duplicate_names_across_different_parents_error():
    a = BlankResource(name="a").add(Node(name="web"))
    b = BlankResource(name="b").add(Node(name="web"))
    with pytest.raises(ProjectError, match="named 'web'"):
        check_unique_names(topological_order([a, b]))


def test_unique_names_and_unnamed_resources_pass():
    resources = [Node(name="a"), Node(name="b"), Node(), Node()]
    check_unique_names(resources)  # must not raise
    same = Node(name="x")
    check_unique_names([same, same])  # one resource listed twice is still one resource
