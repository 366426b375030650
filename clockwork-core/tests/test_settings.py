"""Settings: CW_* environment variables, then .env in the project folder."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from clockwork.settings import Settings, clear_settings_cache, get_settings


@pytest.fixture
def env(clean_env):
    return clean_env


def test_defaults_without_env_or_dotenv(env, tmp_path):
    settings = get_settings(tmp_path)
    assert settings.api_key is None
    assert settings.base_url == "https://openrouter.ai/api/v1"
    assert settings.stack == "dev"
    assert settings.compiler == "pulumi"
    assert settings.output_mode == "auto"
    assert settings.cache_enabled is True
    assert settings.pulumi_config_passphrase is None


def test_cw_prefixed_env_vars_are_read(env, tmp_path):
    env.setenv("CW_MODEL", "some/model")
    env.setenv("CW_STACK", "prod")
    env.setenv("CW_COMPLETION_CONCURRENCY", "9")
    env.setenv("CW_CACHE_ENABLED", "false")
    settings = get_settings(tmp_path)
    assert settings.model == "some/model"
    assert settings.stack == "prod"
    assert settings.completion_concurrency == 9
    assert settings.cache_enabled is False


def test_unprefixed_env_vars_are_ignored(env, tmp_path):
    env.setenv("MODEL", "not-ours")
    env.setenv("STACK", "not-ours")
    settings = get_settings(tmp_path)
    assert settings.model != "not-ours"
    assert settings.stack == "dev"


def test_env_var_names_are_case_insensitive(env, tmp_path):
    env.setenv("cw_stack", "lower")
    assert get_settings(tmp_path).stack == "lower"


def test_dotenv_in_the_project_folder_is_read(env, tmp_path):
    (tmp_path / ".env").write_text("CW_STACK=from-dotenv\nCW_BASE_URL=http://localhost:1234/v1\n")
    settings = get_settings(tmp_path)
    assert settings.stack == "from-dotenv"
    assert settings.base_url == "http://localhost:1234/v1"


def test_dotenv_in_another_folder_is_not_read(env, tmp_path, monkeypatch):
    project = tmp_path / "project"
    project.mkdir()
    (tmp_path / ".env").write_text("CW_STACK=parent-folder\n")
    monkeypatch.chdir(tmp_path)
    assert get_settings(project).stack == "dev"


def test_default_folder_is_cwd(env, tmp_path, monkeypatch):
    (tmp_path / ".env").write_text("CW_STACK=cwd-stack\n")
    monkeypatch.chdir(tmp_path)
    assert get_settings().stack == "cwd-stack"
    assert get_settings() is get_settings(tmp_path)


def test_env_beats_dotenv(env, tmp_path):
    (tmp_path / ".env").write_text("CW_STACK=from-dotenv\nCW_MODEL=dotenv-model\n")
    env.setenv("CW_STACK", "from-env")
    settings = get_settings(tmp_path)
    assert settings.stack == "from-env"
    assert settings.model == "dotenv-model"


def test_unknown_keys_in_dotenv_are_ignored(env, tmp_path):
    (tmp_path / ".env").write_text("DATABASE_URL=postgres://x\nCW_NOT_A_SETTING=1\n")
    assert get_settings(tmp_path).stack == "dev"


def test_invalid_values_are_refused(env, tmp_path):
    env.setenv("CW_OUTPUT_MODE", "telepathy")
    with pytest.raises(ValidationError):
        get_settings(tmp_path)
    clear_settings_cache()
    env.setenv("CW_OUTPUT_MODE", "native")
    env.setenv("CW_COMPLETION_CONCURRENCY", "0")
    with pytest.raises(ValidationError):
        get_settings(tmp_path)


def test_api_key_is_secret_everywhere(env, tmp_path):
    secret = "sk-very-secret-value-123"
    env.setenv("CW_API_KEY", secret)
    settings = get_settings(tmp_path)
    assert isinstance(settings.api_key, SecretStr)
    assert settings.api_key.get_secret_value() == secret
    assert secret not in repr(settings)
    assert secret not in str(settings)
    assert secret not in settings.model_dump_json()
    assert secret not in repr(settings.model_dump())
    assert secret not in str(settings.api_key)


def test_api_key_from_dotenv_is_secret_too(env, tmp_path):
    (tmp_path / ".env").write_text("CW_API_KEY=sk-dotenv-secret\n")
    settings = get_settings(tmp_path)
    assert settings.api_key.get_secret_value() == "sk-dotenv-secret"
    assert "sk-dotenv-secret" not in repr(settings)
    assert "sk-dotenv-secret" not in settings.model_dump_json()


def test_pulumi_config_passphrase_is_read_without_prefix(env, tmp_path):
    env.setenv("PULUMI_CONFIG_PASSPHRASE", "hunter2")
    settings = get_settings(tmp_path)
    assert isinstance(settings.pulumi_config_passphrase, SecretStr)
    assert settings.pulumi_config_passphrase.get_secret_value() == "hunter2"
    assert "hunter2" not in repr(settings)
    assert "hunter2" not in settings.model_dump_json()


def test_pulumi_config_passphrase_with_prefix_wins(env, tmp_path):
    env.setenv("PULUMI_CONFIG_PASSPHRASE", "plain")
    env.setenv("CW_PULUMI_CONFIG_PASSPHRASE", "prefixed")
    assert get_settings(tmp_path).pulumi_config_passphrase.get_secret_value() == "prefixed"


def test_pulumi_config_passphrase_from_dotenv(env, tmp_path):
    (tmp_path / ".env").write_text("PULUMI_CONFIG_PASSPHRASE=from-file\n")
    assert get_settings(tmp_path).pulumi_config_passphrase.get_secret_value() == "from-file"


def test_settings_are_cached_per_folder(env, tmp_path):
    one = tmp_path / "one"
    two = tmp_path / "two"
    one.mkdir()
    two.mkdir()
    (one / ".env").write_text("CW_STACK=one\n")
    (two / ".env").write_text("CW_STACK=two\n")
    first = get_settings(one)
    assert get_settings(one) is first
    assert get_settings(str(one)) is first
    assert get_settings(two / ".." / "one") is first
    assert get_settings(two) is not first
    assert get_settings(two).stack == "two"


def test_cache_holds_until_cleared(env, tmp_path):
    (tmp_path / ".env").write_text("CW_STACK=before\n")
    first = get_settings(tmp_path)
    (tmp_path / ".env").write_text("CW_STACK=after\n")
    assert get_settings(tmp_path).stack == "before"
    clear_settings_cache()
    fresh = get_settings(tmp_path)
    assert fresh is not first
    assert fresh.stack == "after"


def test_settings_built_by_name_and_keyword(env, tmp_path):
    env.chdir(tmp_path)
    settings = Settings(stack="manual", api_key="sk-x")
    assert settings.stack == "manual"
    assert settings.api_key.get_secret_value() == "sk-x"


def test_a_dotenv_that_is_not_utf8_is_a_usage_error_naming_it(env, tmp_path):
    from clockwork.errors import UsageError

    (tmp_path / ".env").write_bytes(b"CW_STACK=caf\xe9\n")
    with pytest.raises(UsageError) as caught:
        get_settings(tmp_path)
    assert str(caught.value) == (
        f"{tmp_path / '.env'}: not UTF-8 text (invalid continuation byte at byte 12); "
        f"save it as UTF-8"
    )
    assert caught.value.exit_code == 2


def test_plugin_settings_are_read_and_validated(env, tmp_path):
    (tmp_path / ".env").write_text(
        "CW_PLUGINS=clockwork-files, clockwork-git\nCW_STRICT_PLUGINS=true\n"
    )
    settings = get_settings(tmp_path)
    assert settings.plugins == ["clockwork-files", "clockwork-git"]
    assert settings.strict_plugins is True
    clear_settings_cache()
    env.setenv("CW_PLUGINS", "")
    env.setenv("CW_STRICT_PLUGINS", "off")
    settings = get_settings(tmp_path)
    assert settings.plugins == []
    assert settings.strict_plugins is False


def test_plugin_settings_default_to_all_and_not_strict(env, tmp_path):
    settings = get_settings(tmp_path)
    assert settings.plugins is None
    assert settings.strict_plugins is False
