"""What Clockwork prints: secrets masked, terminal control characters escaped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from clockwork.redaction import (
    escape_controls,
    forget_secrets,
    printable,
    redact,
    remember_secret,
    url_password,
)
from clockwork.settings import Settings


@pytest.fixture(autouse=True)
def no_remembered_secrets() -> Iterator[None]:
    forget_secrets()
    yield
    forget_secrets()


def test_the_secrets_of_a_settings_are_masked_wherever_they_appear() -> None:
    Settings(
        api_key=SecretStr("sk-canary-abc123"),
        pulumi_config_passphrase=SecretStr("phrase-xyz-9"),
        base_url="https://me:pw%2Fcanary@models.example/v1",
    )
    text = "key sk-canary-abc123, phrase phrase-xyz-9, pw/canary and pw%2Fcanary"
    assert redact(text) == "key ***, phrase ***, *** and ***"


def test_a_secret_is_masked_in_its_json_spelling_too() -> None:
    remember_secret('quo"te\\canary')
    assert redact('{"mode": "quo\\"te\\\\canary"}') == '{"mode": "***"}'


def test_short_values_are_not_remembered() -> None:
    remember_secret("ab")
    assert redact("ab abc") == "ab abc"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("https://user:pass@host/x", "https://user:***@host/x"),
        ("see https://tok123@github.com/a/b.git", "see https://***@github.com/a/b.git"),
        ("ssh://git@github.com/a/b", "ssh://git@github.com/a/b"),
        ("git@github.com:a/b.git", "git@github.com:a/b.git"),
        ("http://host/x", "http://host/x"),
    ],
)
def test_url_credentials_are_masked(text: str, shown: str) -> None:
    assert redact(text) == shown


def test_the_secret_of_a_url() -> None:
    assert url_password("https://u:p%40ss@h/") == "p@ss"
    assert url_password("https://token@h/") == "token"
    assert url_password("ssh://git@h/") is None
    assert url_password("https://h/") is None


def test_control_characters_are_escaped() -> None:
    assert escape_controls("a\x1b]52;c;x\x07b\x9b2J\u202e") == "a\\x1b]52;c;x\\x07b\\x9b2J\\u202e"
    assert escape_controls("two\nlines\tok") == "two\\x0alines\\x09ok"
    assert escape_controls("two\nlines\tok", multiline=True) == "two\nlines\tok"
    assert escape_controls("ünïcödé → ✓") == "ünïcödé → ✓"


def test_printable_masks_and_escapes() -> None:
    remember_secret("sk-canary-zz")
    assert printable("\x1b[2J sk-canary-zz") == "\\x1b[2J ***"


@pytest.mark.parametrize(
    ("url", "kept"),
    [
        ("https://user:pw-canary@models.example:8443/v1", "https://models.example:8443/v1"),
        ("https://tok-canary@models.example/v1", "https://models.example/v1"),
        ("http://127.0.0.1:8093/v1", "http://127.0.0.1:8093/v1"),
    ],
)
def test_a_url_kept_in_a_file_loses_its_credentials(url: str, kept: str) -> None:
    from clockwork.redaction import without_credentials

    assert without_credentials(url) == kept
