"""Shared fixtures for clockwork-files' tests: Clockwork's own plugin-testing fixtures,
the autouse guards among them (no model requests, fresh settings, tests marked
`pulumi_cli` skipped without the engine)."""

from clockwork.testing import (  # noqa: F401 (fixtures, found by name)
    clean_env,
    clockwork_project,
    fresh_settings,
    no_model_requests,
    skip_without_pulumi_cli,
)
