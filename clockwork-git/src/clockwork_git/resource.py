"""GitRepoResource: a git clone on the local machine, kept at a branch."""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import Field, field_validator, model_validator

from clockwork import ProjectError, Resource
from clockwork.spelling import on_disk_spelling

from .specs import (
    LOCAL_PREFIXES,
    BranchName,
    RepoUrl,
    has_credentials,
    redacted,
    repo_basename,
)

if TYPE_CHECKING:
    import pulumi


class GitRepoResource(Resource):
    """A clone of a git repository, checked out at a branch and (by default) kept up to
    date with it; removed on destroy only when Clockwork cloned it."""

    description: str | None = Field(
        None, description="Which repository and what for, e.g. 'the FastAPI repository'."
    )
    name: str | None = Field(None, description="Resource name (default: the repository's name).")
    repo_url: RepoUrl | None = Field(
        None,
        description="Git URL to clone: https://, ssh://, git@host:path, file:// or a local path.",
    )
    dest: str | None = Field(
        None,
        description="Folder to clone into, relative to the project folder "
        "(default: the repository's name).",
    )
    branch: BranchName | None = Field(
        None, description="Branch to check out (default: the remote's default branch)."
    )
    pull: bool = Field(True, description="Fetch and fast-forward the branch on every deploy.")
    present: bool = Field(True, description="False: make sure Clockwork's clone is gone.")

    # A wrong guess would fail the clone; no branch means the remote's default branch.
    user_only_fields: ClassVar[frozenset[str]] = frozenset({"branch"})

    @field_validator("dest")
    @classmethod
    def _valid_dest(cls, dest: str | None) -> str | None:
        if dest is not None and (not dest.strip() or "\0" in dest):
            raise ValueError(f"{dest!r} is not a folder path")
        return dest

    @model_validator(mode="after")
    def _something_to_clone(self) -> Self:
        if self.repo_url is None and self.description is None:
            raise ValueError("give repo_url=, or a description the AI can find the URL from")
        return self

    def model_post_init(self, context: Any) -> None:
        # Like `git clone`, the repository's name is a fine default name.
        if self.name is None and self.repo_url is not None:
            self.name = repo_basename(self.repo_url) or None

    def fields_to_complete(self) -> list[str]:
        missing = super().fields_to_complete()
        if self.repo_url is not None:
            # dest defaults to the repository's name, and so does name when it has one.
            return [field for field in missing if field == "name"]
        return missing

    # ----- where things are ----------------------------------------------------------------

    def clone_url(self) -> str:
        """The URL handed to git; a local path is made absolute (relative to the project)."""
        if self.repo_url is None:
            raise ProjectError(f"{self!r}: repo_url is not set: give it or let the AI fill it")
        if not self.repo_url.startswith(LOCAL_PREFIXES):
            return self.repo_url
        path = Path(self.repo_url).expanduser()
        return os.path.normpath(path if path.is_absolute() else self.project_dir / path)

    def resolved_dest(self) -> Path:
        """Absolute clone folder; a relative dest is taken from the project folder."""
        if self.dest is None:
            folder = repo_basename(self.clone_url())
            if folder in ("", ".", ".."):
                raise ProjectError(
                    f"{self!r}: cannot name a folder after {self.repo_url!r}; set dest"
                )
            return self.project_dir / folder
        path = Path(self.dest)
        if "dest" not in self.ai_filled_fields:
            path = path.expanduser()  # '~' is the user's to use, not the AI's
        # abspath folds '..' without following symlinks: the folder Pulumi tracks.
        return Path(os.path.abspath(path if path.is_absolute() else self.project_dir / path))

    def identity(self) -> str:
        return f"git:{self.resolved_dest()}"

    def former_identities(self) -> list[str]:
        listed = on_disk_spelling(self.resolved_dest(), below=self.project_dir)
        return [f"git:{listed}"] if listed != self.resolved_dest() else []

    def shown_fields(self) -> dict[str, Any]:
        """A token in repo_url is masked in plan, show and --json."""
        return _url_redacted(super().shown_fields())

    def for_model(self, include: set[str] | None = None) -> dict[str, Any]:
        """Nor does the model read it (it is context for connected resources)."""
        return _url_redacted(super().for_model(include))

    def working_directories(self) -> list[Path]:
        """The folder the clone goes in: missing parents are recorded before a deploy,
        so destroy removes them (when empty) even after the clone was made again."""
        return [self.resolved_dest().parent] if self.present else []

    def check_completed(self) -> None:
        """A folder the AI chose (dest, or the default from an AI-chosen URL) must be
        inside the project folder."""
        dest_by_ai = "dest" in self.ai_filled_fields
        default_from_ai_url = self.dest is None and "repo_url" in self.ai_filled_fields
        if not (dest_by_ai or default_from_ai_url):
            return
        if dest_by_ai and self.dest is not None:
            chosen = PurePath(self.dest)
            if chosen.is_absolute() or ".." in chosen.parts or self.dest.startswith("~"):
                raise ProjectError(
                    f"{self!r}: the AI chose dest {self.dest!r}, which leaves the project "
                    "folder; set dest yourself"
                )
        project = self.project_dir.resolve()
        target = self.resolved_dest().resolve()  # follows symlinks
        if target == project or not target.is_relative_to(project):
            raise ProjectError(
                f"{self!r}: the AI's choice puts the clone at {target}, not inside the "
                f"project folder {project}; set dest yourself"
            )

    # ----- compilation ---------------------------------------------------------------------

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        import pulumi

        from .provider import SECRET_OUTPUTS, GitRepo

        self.check_completed()
        name = self.require_name()
        url = self.clone_url()
        inputs: dict[str, Any] = {
            "repo_url": url,
            "dest": str(self.resolved_dest()),
            "branch": self.branch,
            "pull": self.pull,
            "present": self.present,
        }
        if has_credentials(url):
            # A token in the URL is kept encrypted in the state: the input, the output
            # that echoes it, and remote_url, which the provider reads from the clone
            # (an output of another name than a secret input is not secret by itself).
            inputs["repo_url"] = pulumi.Output.secret(url)
            secret = pulumi.ResourceOptions(additional_secret_outputs=list(SECRET_OUTPUTS))
            opts = pulumi.ResourceOptions.merge(opts, secret)
        return GitRepo(name, inputs, opts)


def _url_redacted(fields: dict[str, Any]) -> dict[str, Any]:
    if fields.get("repo_url"):
        fields["repo_url"] = redacted(fields["repo_url"])
    return fields
