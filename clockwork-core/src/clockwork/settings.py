"""Clockwork's settings: `CW_*` environment variables, then `.env` in the project folder."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from .plugins import env_file_not_utf8


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="CW_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
    )

    # AI completion
    api_key: SecretStr | None = Field(None, description="API key of the OpenAI-compatible server.")
    base_url: str = Field("https://openrouter.ai/api/v1", description="OpenAI-compatible API URL.")
    model: str = Field(
        "meta-llama/llama-4-scout:free", description="Model that completes resources."
    )
    completer: str = Field(
        "pydantic-ai", description="Completer backend (see `clockwork plugins`)."
    )
    output_mode: Literal["auto", "tool", "native", "prompted"] = Field(
        "auto",
        description="How the model returns structured output; auto finds a mode that works "
        "and remembers it (output-modes.json in the cache folder).",
    )
    completion_max_retries: int = Field(3, ge=0, description="Retries after invalid model output.")
    completion_timeout: float = Field(120.0, gt=0, description="Seconds allowed per model call.")
    completion_concurrency: int = Field(4, ge=1, description="Resources completed at once.")
    completion_tools: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Tools the completing model may call, comma-separated (default: none).",
    )
    cache_enabled: bool = Field(True, description="Reuse earlier completions.")
    cache_dir: Path | None = Field(None, description="Default: <project>/.clockwork/cache.")

    # Compile and deploy
    compiler: str = Field("pulumi", description="Compiler that turns resources into a program.")
    project_name: str | None = Field(None, description="Pulumi project name (default: folder).")
    stack: str = Field("dev", description="Pulumi stack name.")
    backend_url: str | None = Field(
        None, description="Pulumi state backend (default: file://<project>/.clockwork/state)."
    )
    pulumi_config_passphrase: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("CW_PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE"),
        description="Passphrase that encrypts secrets in the state.",
    )
    assert_concurrency: int = Field(8, ge=1, description="Assertions run at once.")

    # Policies on what the AI chooses (clockwork.policies) and secrets it never reads.
    policies_off: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Policy rules switched off, comma-separated (see `clockwork plugins`).",
    )
    ai_allowed_registries: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["docker.io/library"],
        description="Registries (or registry/namespace prefixes) AI-chosen images may come "
        "from, comma-separated; '*' for any (default: Docker Hub official images).",
    )
    ai_host_ports: str = Field(
        "1024-65535",
        pattern=r"^\s*\d+(\s*-\s*\d+)?(\s*,\s*\d+(\s*-\s*\d+)?)*\s*$",
        description="Host ports AI-chosen published ports may use: ranges, comma-separated.",
    )
    ai_git_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts AI-chosen git URLs may name, comma-separated (default: any).",
    )
    secret_name_patterns: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="More names whose values the model reads as <secret> (words or "
        "globs like '*_DSN'), comma-separated, added to PASSWORD, TOKEN, KEY, ...",
    )

    # Plugins. The plugin host reads these two at start-up itself, before pydantic is
    # loaded (clockwork.plugins.plugin_settings, with the same rules); here they are
    # documented and validated with the rest.
    plugins: Annotated[list[str] | None, NoDecode] = Field(
        None,
        description="Distributions to load, comma-separated (default: all installed; "
        "empty: only clockwork-core).",
    )
    strict_plugins: bool = Field(
        False,
        description="A plugin that fails to load or register is an error, not a warning.",
    )

    @field_validator(
        "completion_tools",
        "plugins",
        "policies_off",
        "ai_allowed_registries",
        "ai_git_hosts",
        "secret_name_patterns",
        mode="before",
    )
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        # CW_COMPLETION_TOOLS=search,docs reads better than a JSON list in a shell.
        if isinstance(value, str):
            return [name.strip() for name in value.split(",") if name.strip()]
        return value

    def model_post_init(self, context: Any) -> None:
        # Every secret a Settings holds is masked wherever Clockwork prints.
        from .redaction import remember_secret, url_password

        secrets = [s.get_secret_value() for s in (self.api_key, self.pulumi_config_passphrase) if s]
        for secret in [*secrets, url_password(self.base_url) or ""]:
            remember_secret(secret)


@lru_cache(maxsize=16)
def _settings_for(project_dir: Path) -> Settings:
    env_file = project_dir / ".env"
    try:
        return Settings(_env_file=env_file)  # type: ignore[call-arg]
    except UnicodeDecodeError as error:
        raise env_file_not_utf8(env_file, error) from None


def get_settings(project_dir: str | Path | None = None) -> Settings:
    """Settings for the project in `project_dir` (default: cwd), read once per folder.
    A `.env` that is not UTF-8 text is a UsageError naming it."""
    return _settings_for(Path(project_dir or Path.cwd()).resolve())


def clear_settings_cache() -> None:
    _settings_for.cache_clear()
