"""The sample plugin's own tests: what a plugin author writes with clockwork.testing.

Run them where the plugin is installed: `pytest tests/sample_plugin/tests` (Clockwork's
own suite runs them inside a venv that has the plugin, see test_third_party_plugin.py).
"""

import pytest
from clockwork_sample import SampleResource, ThingColorAssert
from clockwork_sample import plugin as sample_plugin

from clockwork import BlankResource, ProjectError
from clockwork.testing import compile_under_mocks

pytest_plugins = ["clockwork.testing"]


def test_the_plugin_registers_its_types(clockwork_plugins):
    host = clockwork_plugins(sample_plugin, distribution="clockwork-sample")

    assert host.registry.resources["SampleResource"].value is SampleResource
    assert host.registry.assertions["ThingColorAssert"].value is ThingColorAssert


def test_a_sample_resource_compiles_inside_a_composite(clockwork_plugins):
    clockwork_plugins(sample_plugin, distribution="clockwork-sample")
    thing = SampleResource(name="thing", size=2, color="blue")
    box = BlankResource(name="box").add(thing)

    registered = compile_under_mocks([box])

    compiled = registered.named("thing")
    assert compiled.type == "sample:index:Thing"
    assert compiled.inputs == {"size": 2, "color": "blue"}
    assert registered.name_of(compiled.parent) == "box"


def test_size_must_be_positive():
    with pytest.raises(ProjectError, match="size"):
        SampleResource(name="thing", size=0)


def test_the_color_assertion_checks_the_resource():
    ThingColorAssert(color="red").check(SampleResource(name="t", color="red"))
    with pytest.raises(Exception, match="expected color 'red'"):
        ThingColorAssert(color="red").check(SampleResource(name="t", color="blue"))


def test_the_size_policy_refuses_a_big_size_the_ai_chose(clockwork_plugins):
    from clockwork.policies import PolicyRefused, enforce_policies
    from clockwork.settings import Settings

    host = clockwork_plugins(sample_plugin, distribution="clockwork-sample")
    chosen = SampleResource(name="thing", color="red")
    chosen.size = 50
    chosen.mark_ai_filled("size")
    users = SampleResource(name="big", size=50, color="red")  # the user's call: allowed

    enforce_policies([users], Settings(), host.registry, chosen.project_dir)
    with pytest.raises(PolicyRefused, match="policy sample.thing-size refused .*'size'"):
        enforce_policies([users, chosen], Settings(), host.registry, chosen.project_dir)
