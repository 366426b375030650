"""The policy hook (`register_policies`): a plugin's rule judges each completed
resource, refuses (exit 2, naming rule, resource and field) or warns; core registers
its own rule through the same hook; CW_POLICIES_OFF switches rules off by name; the
pipeline judges values whatever they came from (model or cache)."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pydantic import Field

from clockwork import PluginError, Resource, hookimpl, pipeline
from clockwork.completion_testing import ScriptedModel, project_of, scripted_completer
from clockwork.policies import (
    Finding,
    Policy,
    PolicyContext,
    PolicyRefused,
    control_characters_in,
    enforce_policies,
)
from clockwork.settings import Settings
from clockwork.testing import plugin_host


class Bucket(Resource):
    size: int | None = Field(None, description="Gigabytes.")
    region: str | None = None


def no_huge_ai_buckets(resource: Resource, context: PolicyContext) -> list[Finding]:
    if not isinstance(resource, Bucket) or "size" not in resource.ai_filled_fields:
        return []
    if (resource.size or 0) > 100:
        return [Finding("size", f"{resource.size} GB is too big")]
    if (resource.size or 0) > 10:
        return [Finding("size", f"{resource.size} GB is big", warn=True)]
    return []


class BucketPolicies:
    @hookimpl
    def register_resources(self, register):
        register(Bucket)

    @hookimpl
    def register_policies(self, register):
        register("buckets.size", Policy("AI-chosen buckets stay small", no_huge_ai_buckets))


def chosen_by_ai(resource: Resource, **values: object) -> Resource:
    for name, value in values.items():
        setattr(resource, name, value)
        resource.mark_ai_filled(name)
    return resource


def test_a_plugins_policy_refuses_naming_rule_resource_and_field(tmp_path: Path) -> None:
    with plugin_host(BucketPolicies(), distribution="clockwork-buckets") as host:
        bucket = chosen_by_ai(Bucket(name="logs"), size=500)
        with pytest.raises(PolicyRefused) as refused:
            enforce_policies([bucket], Settings(), host.registry, tmp_path)

    assert str(refused.value) == (
        "policy buckets.size refused Bucket 'logs', field 'size': 500 GB is too big"
    )
    assert refused.value.exit_code == 2


def test_a_warning_is_logged_and_the_run_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with plugin_host(BucketPolicies()) as host, caplog.at_level(logging.WARNING):
        run = enforce_policies(
            [chosen_by_ai(Bucket(name="logs"), size=50)], Settings(), host.registry, tmp_path
        )

    expected = "policy buckets.size: Bucket 'logs', field 'size': 50 GB is big"
    assert run.warnings == [expected]
    assert f"warning: {expected}" in caplog.messages


def test_a_value_the_user_set_is_left_to_the_user(tmp_path: Path) -> None:
    with plugin_host(BucketPolicies()) as host:
        run = enforce_policies([Bucket(name="logs", size=500)], Settings(), host.registry, tmp_path)
    assert "buckets.size" in run.ran and run.warnings == []


def test_core_registers_its_rule_through_the_hook_and_rules_run_in_order() -> None:
    with plugin_host(BucketPolicies(), distribution="clockwork-buckets") as host:
        policies = host.registry.policies
        assert list(policies)[:2] == ["core.control-chars", "buckets.size"]
        assert policies["core.control-chars"].distribution == "clockwork-core"
        assert host.registry.by_distribution("clockwork-buckets")["policies"] == ["buckets.size"]


def test_cw_policies_off_switches_a_rule_off_and_a_typo_is_a_usage_error(tmp_path: Path) -> None:
    bucket = chosen_by_ai(Bucket(name="logs"), size=500)
    with plugin_host(BucketPolicies()) as host:
        run = enforce_policies(
            [bucket], Settings(policies_off="buckets.size"), host.registry, tmp_path
        )
        assert run.off == ["buckets.size"] and "buckets.size" not in run.ran
        with pytest.raises(Exception, match="CW_POLICIES_OFF: no policy named bucket.size"):
            enforce_policies(
                [bucket], Settings(policies_off="bucket.size"), host.registry, tmp_path
            )


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("plain\nlines\tand\r\n", None),
        ("a\x1b[2Jb", "\\x1b"),
        (["ok", {"KEY": "x\x07"}], "\\x07"),
        ({"k\x9b": "v"}, "\\x9b"),
        ("right\u202eleft", "\\u202e"),
        (42, None),
    ],
)
def test_control_characters_are_found_anywhere_in_a_value(value: object, found: str) -> None:
    assert control_characters_in(value) == found


def test_the_pipeline_judges_the_models_values_and_then_the_cached_ones(tmp_path: Path) -> None:
    """The model's answer is judged before it is stored; with the rule off it is stored,
    and the next run, from the cache without the model, is judged again."""
    settings = Settings(cache_dir=tmp_path / "cache")
    model = ScriptedModel({"logs": {"size": 500, "region": "eu"}})

    class ScriptedPlugin(BucketPolicies):
        @hookimpl
        def register_completers(self, register):
            register("scripted", lambda s: scripted_completer(s, model))

    def run(settings: Settings, **options: object) -> None:
        project = project_of(tmp_path, Bucket(name="logs"))
        pipeline.complete(project, settings, pipeline.RunOptions(**options))  # type: ignore[arg-type]

    settings = settings.model_copy(update={"completer": "scripted"})
    with plugin_host(ScriptedPlugin()):
        with pytest.raises(PolicyRefused, match="buckets.size"):
            run(settings)
        with pytest.raises(Exception, match="offline"):
            run(settings, offline=True)  # the refused answer was not kept
        run(settings.model_copy(update={"policies_off": ["buckets.size"]}))
        calls = len(model.calls)
        with pytest.raises(PolicyRefused, match="buckets.size"):
            run(settings, offline=True)
    assert len(model.calls) == calls


def test_a_rule_that_breaks_is_its_plugins_error_naming_it(tmp_path: Path) -> None:
    def broken(resource: Resource, context: PolicyContext) -> list[Finding]:
        raise KeyError("size")

    class BrokenPolicy:
        @hookimpl
        def register_policies(self, register):
            register("broken.rule", Policy("breaks", broken))

    with plugin_host(BrokenPolicy()) as host, pytest.raises(PluginError) as failed:
        enforce_policies([Bucket(name="logs")], Settings(), host.registry, tmp_path)
    assert str(failed.value) == "policy broken.rule failed on Bucket 'logs': KeyError: 'size'"
