"""FileResource: a local file whose name, folder, content or mode the AI may fill."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, ClassVar

from pydantic import Field, field_validator

from clockwork import ProjectError, Resource
from clockwork.spelling import on_disk_spelling

from .specs import parse_mode

if TYPE_CHECKING:
    import pulumi


class FileResource(Resource):
    """A file on the local machine, written atomically and removed on destroy."""

    description: str = Field(description="What the file is for; the AI writes content from it.")
    name: str | None = Field(None, description="File name, e.g. 'README.md'.")
    directory: str | None = Field(
        None, description="Folder of the file, relative to the project folder (default '.')."
    )
    content: str | None = Field(None, description="The file's full text.")
    mode: str | None = Field(None, description="Octal permission bits, e.g. '644' or '755'.")
    path: str | None = Field(
        None, description="Full path of the file; overrides directory and name."
    )

    # A full path is the user's call: the AI chooses a name and folder inside the project.
    user_only_fields: ClassVar[frozenset[str]] = frozenset({"path"})

    @field_validator("mode")
    @classmethod
    def _valid_mode(cls, mode: str | None) -> str | None:
        return None if mode is None else f"{parse_mode(mode):04o}"

    @field_validator("name")
    @classmethod
    def _valid_name(cls, name: str | None) -> str | None:
        if name is not None and (name.strip() in ("", ".", "..") or "\0" in name):
            raise ValueError(f"{name!r} is not a file name")
        return name

    def model_post_init(self, context: Any) -> None:
        # With a full path the file's name is known; it also names the resource.
        if self.name is None and self.path is not None:
            self.name = PurePath(self.path).name

    def fields_to_complete(self) -> list[str]:
        missing = super().fields_to_complete()
        needed = {"content"} if self.path is not None else {"content", "name"}
        if not needed.intersection(missing):
            return []  # directory and mode have defaults: not worth a model call alone
        if self.path is not None:
            missing = [f for f in missing if f not in ("name", "directory")]
        return missing

    def resolved_path(self) -> Path:
        """Absolute path of the file; relative paths are taken from the project folder."""
        if self.path is not None:
            path = Path(self.path).expanduser()
            return path if path.is_absolute() else self.project_dir / path
        if self.name is None:
            raise ProjectError(f"{self!r}: no name and no path: set one or let the AI complete it")
        return self.project_dir / (self.directory or ".") / self.name

    def check_completed(self) -> None:
        """What the AI chose must keep the file inside the project: an AI-chosen name is
        a plain file name, an AI-chosen folder is relative, without '..'. What the user
        set is the user's call. (Where in the project, and which mode: the policies.)"""
        if self.path is not None:
            return
        name = self.name if "name" in self.ai_filled_fields else None
        if name is not None and (PurePath(name).name != name or name in (".", "..")):
            raise ProjectError(
                f"{self!r}: the AI chose the name {name!r}, which is not a plain "
                "file name; set name yourself"
            )
        if "directory" not in self.ai_filled_fields or self.directory is None:
            return
        folder = PurePath(self.directory)
        if folder.is_absolute() or ".." in folder.parts:
            raise ProjectError(
                f"{self!r}: the AI chose the directory {self.directory!r}, which leaves the "
                "project folder; set directory yourself"
            )
        # A symlink on the way is the `files.symlink` policy's (clockwork_files.policies).

    def identity(self) -> str:
        return f"file:{self.resolved_path()}"

    def former_identities(self) -> list[str]:
        listed = on_disk_spelling(self.resolved_path(), below=self.project_dir)
        return [f"file:{listed}"] if listed != self.resolved_path() else []

    def working_directories(self) -> list[Path]:
        return [self.resolved_path().parent]

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        from .provider import ManagedFile

        self.check_completed()
        if self.content is None:
            raise ProjectError(f"{self!r}: content is not set: give content= or let the AI fill it")
        inputs = {
            "path": str(self.resolved_path()),
            "content": self.content,
            "mode": self.mode,  # None: 0644 for a new file, an adopted one keeps its own
            # Which resource of the project holds the file: a renamed or moved resource
            # takes it over instead of the old one deleting it. Bookkeeping, not a
            # property of the file: "__" keeps it out of plan's property diffs.
            "__claimant": self.address(),
            "__claims_dir": str(self.project_dir / ".clockwork" / "claims"),
        }
        return ManagedFile(self.require_name(), inputs, opts)
