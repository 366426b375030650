"""Shared fixtures for the cross-distribution tests: Clockwork's plugin-testing fixtures,
and `use_scripted_model`."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

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


@pytest.fixture
def use_scripted_model(
    request: pytest.FixtureRequest,
) -> Iterator[Callable[[ScriptedModel], ScriptedModel]]:
    """Call with a ScriptedModel: core's pydantic-ai completer runs with it in place of
    the network for every completion of the test (installed plugins, CW_COMPLETER)."""
    request.getfixturevalue("clean_env").setenv("CW_COMPLETER", "scripted")
    with contextlib.ExitStack() as stack:

        def use(model: ScriptedModel) -> ScriptedModel:
            from clockwork.completion_testing import ScriptedCompleterPlugin  # pydantic-ai

            stack.enter_context(plugin_host(ScriptedCompleterPlugin(model), entry_points=True))
            return model

        yield use
