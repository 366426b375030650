"""The Resource model: what a user declares in main.py.

A resource is a pydantic model. Every Optional field the user leaves `None` is a
candidate for AI completion; values the user set are never touched. Resources
compose (`.add`) into trees and depend on each other (`.connect`); the graph module
turns both into one deployment order.
"""

from __future__ import annotations

import itertools
import sys
import types
import typing
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SecretStr,
    SerializeAsAny,
    ValidationError,
)

from .assertions import Assertion
from .errors import ProjectError, describe_validation_error

if TYPE_CHECKING:  # pulumi is heavy; only compile code imports it
    import pulumi

# Declaration order is creation order: it breaks ties in the deployment order.
_creation_counter = itertools.count()


class ResourceValidationError(ProjectError, ValueError):
    """A resource was built with invalid field values; the message names it and the fields."""

    def __init__(self, type_name: str, name: object, error: ValidationError):
        self.type_name = type_name
        self.resource_name = name
        self.errors = error.errors(include_url=False)
        label = f"{type_name} {name!r}" if isinstance(name, str) else type_name
        super().__init__(f"invalid {label}: {describe_validation_error(error)}")


def _allows_none(annotation: Any) -> bool:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _allows_none(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return type(None) in typing.get_args(annotation)
    return annotation is None or annotation is type(None) or annotation is Any


def _mentions_secret_str(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    return any(_mentions_secret_str(arg) for arg in typing.get_args(annotation))


SHOWN_SECRET = "[secret]"  # what plan, show and --json print in place of a secret
MODEL_SECRET = "<secret>"  # what the model reads in place of one
# Names of environment variables (or other keys) whose values the model never reads.
SECRET_KEY_WORDS = (
    "PASSWORD",
    "PASSWD",
    "PASSPHRASE",
    "PWD",
    "SECRET",
    "TOKEN",
    "KEY",
    "CREDENTIAL",
    "AUTH",
    "PRIVATE",
    "DSN",
    "COOKIE",
    "SESSION",
)


def looks_secret(key: str, patterns: Iterable[str] = ()) -> bool:
    """Whether a key names a secret: it holds one of SECRET_KEY_WORDS, or matches one
    of `patterns` (CW_SECRET_NAME_PATTERNS: a word it holds, or a glob like '*_DSN');
    case does not matter."""
    upper = key.upper()
    if any(word in upper for word in SECRET_KEY_WORDS):
        return True
    for pattern in patterns:
        wanted = pattern.strip().upper()
        if wanted and (
            fnmatchcase(upper, wanted) if "*" in wanted or "?" in wanted else wanted in upper
        ):
            return True
    return False


def masked_for_model(value: Any, patterns: Iterable[str] = ()) -> Any:
    """`value` with the value under every secret-looking key, in any mapping nested in
    it, read as `<secret>`: what reaches the model of env vars and the like."""
    patterns = tuple(patterns)
    if isinstance(value, dict):
        return {
            key: MODEL_SECRET
            if isinstance(key, str) and looks_secret(key, patterns) and item is not None
            else masked_for_model(item, patterns)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [masked_for_model(item, patterns) for item in value]
    return value


class Children(Mapping[str, "Resource"]):
    """Read-only view of a resource's named children, in the order they were added."""

    def __init__(self, items: list[Resource]):
        self._items = items

    def __getitem__(self, name: str) -> Resource:
        for child in self._items:
            if child.name is not None and child.name == name:
                return child
        raise KeyError(name)

    def __iter__(self) -> Iterator[str]:
        return (child.name for child in self._items if child.name is not None)

    def __len__(self) -> int:
        return sum(1 for child in self._items if child.name is not None)

    def __repr__(self) -> str:
        return f"Children({list(self)!r})"


class Resource(BaseModel):
    """Base of every Clockwork resource.

    Subclasses declare their fields as usual. A field is AI-completable when its type
    allows None, it is None, and neither the class nor a base lists it in
    `user_only_fields`.
    """

    # defer_build: a model's validator is built on first use, not when its class is
    # defined, so listing plugins does not pay for every model of every plugin.
    model_config = ConfigDict(extra="forbid", validate_assignment=True, defer_build=True)

    name: str | None = Field(None, description="Name of the resource, unique in the project.")
    description: str | None = Field(
        None, description="What the resource is for, in plain words; the AI reads it."
    )
    assertions: list[SerializeAsAny[Assertion]] = Field(
        default_factory=list, description="Checks `clockwork assert` runs against this resource."
    )
    connections: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Context of the resources this one is connected to (JSON-safe).",
    )

    #: Fields the AI never fills, added to those of every base class.
    user_only_fields: ClassVar[frozenset[str]] = frozenset(
        {"description", "assertions", "connections"}
    )
    # Fields whose values are secrets (besides every `SecretStr` field): compiled to
    # Pulumi secrets, masked in plan, show and --json; to the model, the values under
    # secret-looking keys (PASSWORD, TOKEN, ...) read `<secret>`.
    secret_fields: ClassVar[frozenset[str]] = frozenset()
    #: Optional collections (mounts, extra environment, ...) that default to empty and
    #: are asked for only when called for: field -> words that call for it. A field is
    #: called for when one of its words appears in the description (case-insensitive;
    #: a type may add reasons in `calls_for`). Left None otherwise, which means empty.
    #: When the model's value for one keeps failing validation, it falls back to empty.
    ask_only_when_needed: ClassVar[Mapping[str, tuple[str, ...]]] = {}

    _seq: int = PrivateAttr(default_factory=lambda: next(_creation_counter))
    _children: list[Resource] = PrivateAttr(default_factory=list)
    _parent: Resource | None = PrivateAttr(default=None)
    _connected: list[Resource] = PrivateAttr(default_factory=list)
    _connected_by: list[Resource] = PrivateAttr(default_factory=list)
    _ai_filled: set[str] = PrivateAttr(default_factory=set)
    _project_dir: Path | None = PrivateAttr(default=None)
    _declared_key: str | None = PrivateAttr(default=None)
    _declared_at: tuple[Any, int] | None = PrivateAttr(default=None)  # (code, instruction)

    def __init__(self, /, **data: Any):
        try:
            super().__init__(**data)
        except ValidationError as error:
            # Re-raised with the resource's name so a user knows which one is wrong.
            raise ResourceValidationError(type(self).__name__, data.get("name"), error) from None
        self._declared_at = _constructing_call(self)

    @property
    def declared_at(self) -> DeclarationSite | None:
        """Where the call that built this resource is (`clockwork freeze` edits it)."""
        if self._declared_at is None:
            return None
        code, instruction = self._declared_at
        positions = list(code.co_positions())
        if instruction // 2 >= len(positions):
            return None
        line, end_line, column, end_column = positions[instruction // 2]
        if line is None or end_line is None or column is None or end_column is None:
            return None
        return DeclarationSite(code.co_filename, line, end_line, column, end_column)

    # ----- identity -------------------------------------------------------------------

    @classmethod
    def type_name(cls) -> str:
        """Name under which the type is registered and shown."""
        return cls.__name__

    @property
    def display_name(self) -> str:
        return self.name if self.name is not None else f"<unnamed {self.type_name()}>"

    def __repr__(self) -> str:
        return f"{self.type_name()}({self.display_name!r})"

    def identity(self) -> str:
        """What this resource IS, across renames and moves: deploys carry its last
        Pulumi URN forward (as an alias) while the identity stays the same. By default
        its type and name (names are unique in a project), so moving it into or out of
        a composite keeps it; a resource whose target is a place (a file, a clone)
        says the place, so a rename keeps it too."""
        return f"{self.type_name()}:{self.display_name}"

    def former_identities(self) -> list[str]:
        """Identities it may have been deployed under though `identity()` says another
        now, for the same thing: e.g. a file whose path the user respelled in case only,
        on a case-insensitive file system (the disk still lists the old spelling)."""
        return []

    def address(self) -> str:
        """The resource's place in the project: its type and the names from the
        outermost composite down, e.g. `Service:shop/db`."""
        names = []
        node: Resource | None = self
        while node is not None:
            names.append(node.display_name)
            node = node.parent
        return f"{self.type_name()}:{'/'.join(reversed(names))}"

    @property
    def declared_key(self) -> str:
        """Who this resource is before the AI fills anything: its address, with an
        ordinal for unnamed ones of one type (`Service:<unnamed Service>#2`).
        The loader assigns it in declaration order; the lock file and the repair loop
        key their entries by it, since an AI-chosen name is not known yet."""
        return self._declared_key or self.address()

    def require_name(self) -> str:
        """The name, for code that needs one (compiling, deploying)."""
        if self.name is None:
            raise ProjectError(self.no_name_message())
        return self.name

    def no_name_message(self) -> str:
        return f"{self!r} has no name: set name= or let the AI complete it"

    @property
    def project_dir(self) -> Path:
        """Folder of the main.py that declared this resource (cwd when built elsewhere)."""
        return self._project_dir or Path.cwd()

    def bind_to_project(self, folder: str | Path) -> Self:
        """Make `folder` this resource's `project_dir`, and its children's (all the way
        down, as they are now: a child added later is not bound). The loader binds
        every resource to its main.py's folder; a test binds the resources it builds.
        Returns self, so calls chain."""
        directory = Path(folder)
        pending: list[Resource] = [self]
        while pending:  # iterative: a deep tree must not hit the recursion limit
            resource = pending.pop()
            resource._project_dir = directory
            pending.extend(resource._children)
        return self

    # ----- completion -----------------------------------------------------------------

    @classmethod
    def completable_fields(cls) -> tuple[str, ...]:
        """Fields of this type the AI may fill, in declaration order."""
        return _completable_fields(cls)

    def fields_to_complete(self) -> list[str]:
        """Completable fields still None, and called for (`ask_only_when_needed`).
        Subclasses drop fields that other values make moot."""
        return [
            name
            for name in self.completable_fields()
            if getattr(self, name) is None and self.calls_for(name)
        ]

    def calls_for(self, field: str) -> bool:
        """Whether the model should be asked for `field`: always, unless it is listed in
        `ask_only_when_needed` and none of its words appears in the description."""
        words = self.ask_only_when_needed.get(field)
        if words is None:
            return True
        text = (self.description or "").lower()
        return any(word.lower() in text for word in words)

    def safe_empty_defaults(self) -> dict[str, Any]:
        """The fields to complete that may fall back to empty (`ask_only_when_needed`),
        each with its empty value ([] or {})."""
        model_fields = type(self).model_fields
        return {
            name: _empty_value(model_fields[name].annotation)
            for name in self.fields_to_complete()
            if name in self.ask_only_when_needed
        }

    def needs_completion(self) -> bool:
        return bool(self.fields_to_complete())

    def user_set_fields(self) -> dict[str, Any]:
        """JSON-safe values the user gave (not defaults, not AI-filled), as the model
        may read them (secrets masked)."""
        chosen = self.model_fields_set - self._ai_filled - {"connections"}
        return self.for_model(include=chosen)

    @classmethod
    def secret_field_names(cls) -> frozenset[str]:
        typed = {
            name for name, info in cls.model_fields.items() if _mentions_secret_str(info.annotation)
        }
        return cls.secret_fields | typed

    def shown_fields(self) -> dict[str, Any]:
        """The fields as plan, show and --json print them: every secret masked."""
        data = self.model_dump(mode="json", exclude={"assertions", "connections"})
        for name in self.secret_field_names() & set(data):
            value = data[name]
            if isinstance(value, dict):
                data[name] = {key: SHOWN_SECRET for key in value}
            elif value is not None:
                data[name] = SHOWN_SECRET
        return data

    def for_model(self, include: set[str] | None = None) -> dict[str, Any]:
        """JSON-safe fields for a prompt: SecretStr values and other secret fields read
        `<secret>`; of a secret mapping (env vars), the values under secret-looking keys."""
        data = self.model_dump(
            mode="json", include=include, exclude={"assertions", "connections"}, exclude_none=True
        )
        for name in self.secret_field_names() & set(data):
            value = data[name]
            if isinstance(value, dict):
                data[name] = {
                    key: MODEL_SECRET if looks_secret(key) else item for key, item in value.items()
                }
            else:  # a secret as a whole (a SecretStr, a token string)
                data[name] = MODEL_SECRET
        return data

    @property
    def ai_filled_fields(self) -> frozenset[str]:
        """Fields whose values came from the AI (provenance)."""
        return frozenset(self._ai_filled)

    def mark_ai_filled(self, field: str) -> None:
        self._ai_filled.add(field)

    def unmark_ai_filled(self, field: str) -> None:
        """Forget that the AI filled `field` (its value was rejected and rolled back)."""
        self._ai_filled.discard(field)

    def check_completed(self) -> None:
        """Safety rules for a completed resource (e.g. an AI-filled path must stay in
        the project). Raise ProjectError naming the resource and field; default: none."""

    # ----- composition ----------------------------------------------------------------

    @property
    def children(self) -> Children:
        return Children(self._children)

    @property
    def all_children(self) -> tuple[Resource, ...]:
        """Every direct child, named or not, in the order added."""
        return tuple(self._read_private("_children"))

    @property
    def parent(self) -> Resource | None:
        parent: Resource | None = self._read_private("_parent")
        return parent

    def _read_private(self, name: str) -> Any:
        """A private attribute, straight from pydantic's storage. `self._name` gets there
        only after two AttributeErrors (pydantic's `__getattr__`), about 3.5 µs a read;
        the graph walk and the compiler read these three for every resource."""
        private = self.__pydantic_private__
        if private is not None and name in private:
            return private[name]
        return getattr(self, name)

    def add(self, *children: Resource) -> Self:
        """Make `children` part of this resource; returns self so calls chain.
        All or nothing: when one child is refused, none is added."""
        for index, child in enumerate(children):
            self._check_can_adopt(child)
            if any(other is child for other in children[:index]):
                raise ProjectError(f"{child!r} is given twice to {self!r}.add()")
            later_names = [c.name for c in children[:index] if c.name is not None]
            if child.name is not None and child.name in later_names:
                raise ProjectError(f"{self!r} already has a child named {child.name!r}")
        for child in children:
            child._parent = self
            self._children.append(child)
        return self

    def _check_can_adopt(self, child: Resource) -> None:
        if not isinstance(child, Resource):
            raise ProjectError(f"{self!r}.add() takes resources, got {type(child).__name__}")
        if child._parent is not None:
            raise ProjectError(
                f"{child!r} is already a child of {child._parent!r}; a resource has one parent"
            )
        if child is self:
            raise ProjectError(f"{child!r} cannot be added inside itself")
        # Only a resource with children can be an ancestor of self: skipping the walk
        # otherwise keeps building a deep tree top-down linear, not quadratic.
        ancestor: Resource | None = self if child._children else None
        while ancestor is not None:
            if ancestor is child:
                raise ProjectError(f"{child!r} cannot be added inside itself")
            ancestor = ancestor._parent
        if child.name is not None and child.name in self.children:
            raise ProjectError(f"{self!r} already has a child named {child.name!r}")

    # ----- connections ----------------------------------------------------------------

    @property
    def connected(self) -> tuple[Resource, ...]:
        """Resources this one depends on through `.connect()`."""
        return tuple(self._read_private("_connected"))

    @property
    def connected_by(self) -> tuple[Resource, ...]:
        """Resources that `.connect()`ed to this one (the reverse edges)."""
        return tuple(self._connected_by)

    def connect(self, *others: Resource) -> Self:
        """Depend on `others` and give the AI their context; returns self so calls chain."""
        for other in others:
            if not isinstance(other, Resource):
                raise ProjectError(
                    f"{self!r}.connect() takes resources, got {type(other).__name__}"
                )
            if other is self:
                raise ProjectError(f"{self!r} cannot connect to itself")
            if not any(known is other for known in self._connected):
                self._connected.append(other)
                other._connected_by.append(self)
        self.refresh_connections()
        return self

    def refresh_connections(self) -> None:
        """Re-read the peers' context, e.g. after the AI completed them."""
        self.connections = [peer.get_connection_context() for peer in self._connected]

    def get_connection_context(self) -> dict[str, Any]:
        """What a connected resource (and the AI completing it) may know about this one."""
        return {"type": self.type_name(), **self.for_model()}

    def working_directories(self) -> list[Path]:
        """Folders this resource works in. Those missing before a deploy are recorded,
        so `clockwork destroy` can remove them (when empty) and nothing else."""
        return []

    # ----- compilation ----------------------------------------------------------------

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> Any:
        """Create this resource's Pulumi resources, passing `opts` (parent, depends_on) on.

        Return the main Pulumi resource, or None when the resource only groups others.
        """
        raise NotImplementedError(f"{self.type_name()} does not implement to_pulumi()")


def _empty_value(annotation: Any) -> Any:
    """[] for a list field, {} for a mapping (the `None` the user may leave aside)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _empty_value(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        kept = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _empty_value(kept[0])
    if origin is dict or (isinstance(origin, type) and issubclass(origin, Mapping)):
        return {}
    return []


@dataclass(frozen=True)
class DeclarationSite:
    """A call expression in a source file: lines from 1, columns in UTF-8 bytes from 0,
    as Python's code positions give them."""

    filename: str
    line: int
    end_line: int
    column: int
    end_column: int


def _constructing_call(resource: Resource) -> tuple[Any, int] | None:
    """The code and instruction of the call that built `resource`: the first frame
    above the `__init__`s of its classes. Kept as (code, offset), not as positions:
    those are looked up only when asked for (by `clockwork freeze`), so building a
    resource stays cheap."""
    frame: types.FrameType | None = sys._getframe(2)  # above Resource.__init__ and this
    while frame is not None and frame.f_code.co_name == "__init__":
        if frame.f_locals.get("self") is not resource:
            break
        frame = frame.f_back  # a subclass's own __init__: look further up
    if frame is None:
        return None
    return frame.f_code, frame.f_lasti


@cache
def _completable_fields(cls: type[Resource]) -> tuple[str, ...]:
    never: set[str] = set()
    for klass in cls.__mro__:
        never |= set(vars(klass).get("user_only_fields", ()))
    return tuple(
        name
        for name, info in cls.model_fields.items()
        # A secret is the user's to give: the model never chooses (or sees) one.
        if name not in never
        and _allows_none(info.annotation)
        and not _mentions_secret_str(info.annotation)
    )


class BlankResource(Resource):
    """A pure composite: groups children, deploys nothing of its own."""

    def to_pulumi(self, opts: pulumi.ResourceOptions | None = None) -> None:
        return None
