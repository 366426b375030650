"""Shared fixtures for the cross-distribution tests: Clockwork's plugin-testing fixtures,
and `use_scripted_model`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from clockwork import hookimpl
from clockwork.testing import (  # noqa: F401 (fixtures, found by name)
    clean_env,
    fresh_settings,
    no_model_requests,
    no_pulumi_cli,
    plugin_host,
    skip_without_pulumi_cli,
)

if TYPE_CHECKING:
    from clockwork.completion_testing import ScriptedModel


class _ScriptedCompleterPlugin:
    def __init__(self, model: ScriptedModel):
        self.model = model

    @hookimpl
    def register_completers(self, register: Any) -> None:
        from clockwork.completion_testing import scripted_completer  # needs pydantic-ai

        register("scripted", lambda settings: scripted_completer(settings, self.model))


@pytest.fixture
def use_scripted_model(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[ScriptedModel], ScriptedModel]]:
    """Call with a ScriptedModel: core's pydantic-ai completer runs with it in place of
    the network for every completion of the test (installed plugins, CW_COMPLETER)."""
    request.getfixturevalue("clean_env").setenv("CW_COMPLETER", "scripted")
    with contextlib.ExitStack() as stack:

        def use(model: ScriptedModel) -> ScriptedModel:
            stack.enter_context(plugin_host(_ScriptedCompleterPlugin(model), entry_points=True))
            return model

        yield use
