"""Shared fixtures for clockwork-cli's tests: Clockwork's own plugin-testing fixtures."""

from clockwork.testing import (  # noqa: F401 (fixtures, found by name)
    clean_env,
    clockwork_project,
    fresh_settings,
    no_model_requests,
    no_pulumi_cli,
    skip_without_pulumi_cli,
)
