"""AI completion: fill the fields a user left None, without ever touching theirs.

For each resource that needs it, the model is asked for ONLY its missing completable
fields (`fields_to_complete()`): the output type is a pydantic model made from those
fields, with their types, constraints and descriptions. Every value it returns is set
on the resource (so the resource re-validates it), marked AI-filled, and then the
resource's safety rules (`check_completed()`) run; a value that fails goes back to the
model as a retry. Nothing is applied unless all of it passes.

Order follows the graph: a parent before its children (the parent sees its children's
declarations, each child the completed parent), a resource after what it connects to
(its `connections` are refreshed first). Resources with no path between them complete
concurrently, at most `completion_concurrency` at a time.

The backend (a "completer") comes from a plugin (`register_completers`); core's is
`pydantic-ai` (clockwork.pydantic_ai_completer), imported only when a resource needs
the model. This module itself stays light: no pydantic-ai import.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel

from .blocking import run_blocking
from .cache import CompletionCache, cache_dir_for, cache_key
from .completer import (
    Completer,
    CompletionFailed,
    CompletionOutcome,
    CompletionRequest,
    OutputRejected,
    output_model_for,
    values_of,
)
from .empty_fallback import fall_back_to_empty, fall_back_to_free_name
from .errors import ClockworkError, PluginError, UsageError
from .filling import apply_completion, label_of
from .graph import dependencies, topological_order
from .lockfile import LockSession, input_hashes
from .name_suggestions import suggested_name
from .output_modes import ModePlan, complete_in_modes
from .prompts import PromptContext, PromptTemplate, build_prompt_context, template_for
from .redaction import redact
from .resource import Resource
from .settings import Settings

if TYPE_CHECKING:  # types only: completion is handed the project and the registry
    from .loader import Project
    from .plugins import Registry

__all__ = [  # the contract is re-exported for code that imported it from here
    "CompletionError",
    "CompletionFailed",
    "CompletionOutcome",
    "CompletionReport",
    "CompletionRequest",
    "Completer",
    "OutputRejected",
    "ResourceCompletion",
    "apply_completion",
    "complete_project",
    "complete_project_async",
    "output_model_for",
    "values_of",
]

ProgressStatus = Literal["skipped", "locked", "cached", "started", "completed", "failed"]
ProgressCallback = Callable[[Resource, ProgressStatus], None]


# ----- errors -----------------------------------------------------------------------------


class CompletionError(ClockworkError):
    """A resource could not be completed; names it and the fields left empty."""

    def __init__(
        self,
        resource: Resource,
        fields: list[str],
        reason: str,
        *,
        exit_code: int = ClockworkError.exit_code,
    ):
        self.resource_name = resource.name
        self.type_name = resource.type_name()
        self.fields = list(fields)
        # A rejected value may quote a secret (a model echoing the API key): masked here,
        # so no caller that prints or stores the error can leak it.
        self.reason = redact(reason)
        self.exit_code = exit_code
        super().__init__(
            f"could not complete {label_of(resource)} (fields: {', '.join(fields)}): {self.reason}"
        )


class _DependencyFailed(Exception):
    """A resource was not attempted because something it depends on failed."""


def create_completer(settings: Settings, registry: Registry) -> Completer:
    registration = registry.completers.get(settings.completer)
    if registration is None:
        known = ", ".join(sorted(registry.completers)) or "none"
        raise UsageError(f"unknown completer {settings.completer!r} (installed: {known})")
    try:
        return registration.value(settings)
    except ClockworkError:
        raise
    except Exception as error:
        raise PluginError(
            f"completer {settings.completer!r} from {registration.distribution} failed to "
            f"start: {type(error).__name__}: {error}"
        ) from error


def enabled_tools(settings: Settings, registry: Registry) -> dict[str, Callable[..., Any]]:
    """The tools `CW_COMPLETION_TOOLS` names; none unless asked for."""
    tools = {}
    for name in settings.completion_tools:
        registration = registry.completion_tools.get(name)
        if registration is None:
            known = ", ".join(sorted(registry.completion_tools)) or "none"
            raise UsageError(f"unknown completion tool {name!r} (registered: {known})")
        tools[name] = registration.value
    return tools


# ----- the report -------------------------------------------------------------------------


@dataclass
class ResourceCompletion:
    resource: Resource
    # complete: nothing was missing; locked: from clockwork.lock; cached: from the cache
    status: Literal["complete", "completed", "cached", "locked"]
    filled: dict[str, Any] = field(default_factory=dict)  # field -> JSON-safe value
    model_calls: int = 0
    output_mode: str | None = None  # the mode the model answered in (None: not asked)
    warnings: list[str] = field(default_factory=list)  # fields that fell back (empty, a suffix)

    @property
    def cache_hit(self) -> bool:
        return self.status == "cached"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.resource.type_name(),
            "name": self.resource.name,
            "status": self.status,
            "ai_filled": sorted(self.filled),
            "filled": _shown(self.resource, self.filled),
            "model_calls": self.model_calls,
            "cache_hit": self.cache_hit,
            "lock_hit": self.status == "locked",
            "output_mode": self.output_mode,
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class CachedAnswer:
    """A model's answer to keep in the cache, once the project's own checks passed."""

    key: str
    values: dict[str, Any]
    resource_type: str
    resource_name: str | None


@dataclass
class CompletionReport:
    """Per resource, in project order: what the AI filled, calls made, cache hits."""

    resources: list[ResourceCompletion]
    pending: list[CachedAnswer] = field(default_factory=list, repr=False)
    cache: CompletionCache | None = field(default=None, repr=False)
    lock: LockSession | None = field(default=None, repr=False)
    output_mode: dict[str, str | None] = field(default_factory=dict)  # configured, remembered

    def store(self) -> None:
        """Keep the new answers in the cache, and write clockwork.lock when this run
        may (see clockwork.lockfile). Called only after every project-level check
        passed: an answer that fails one (an AI-chosen name that clashes) must not come
        back from the cache, or the lock, on the next run."""
        if self.cache is not None:
            for answer in self.pending:
                self.cache.put(
                    answer.key,
                    answer.values,
                    resource_type=answer.resource_type,
                    resource_name=answer.resource_name,
                )
        self.pending = []
        if self.lock is not None:
            self.lock.store()

    @property
    def model_calls(self) -> int:
        return sum(entry.model_calls for entry in self.resources)

    @property
    def cache_hits(self) -> int:
        return sum(entry.cache_hit for entry in self.resources)

    @property
    def lock_hits(self) -> int:
        return sum(entry.status == "locked" for entry in self.resources)

    @property
    def completed(self) -> int:
        """Resources completed by the model in this run (not from the cache)."""
        return sum(entry.status == "completed" for entry in self.resources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "model_calls": self.model_calls,
            "cache_hits": self.cache_hits,
            "lock_hits": self.lock_hits,
            "completed": self.completed,
            "output_mode": dict(self.output_mode),
            "resources": [entry.to_dict() for entry in self.resources],
            "lock": None if self.lock is None else self.lock.changes().to_dict(),
        }


# ----- one run ----------------------------------------------------------------------------


class _CompletionRun:
    """Completes a set of resources once; owns the semaphore, cache and completer."""

    def __init__(
        self,
        settings: Settings,
        *,
        registry: Registry,
        cache: CompletionCache | None,
        completer: Completer | None,
        progress: ProgressCallback | None,
        offline: bool = False,
        read_cache: bool = True,
        reask: Mapping[str, Sequence[str]] | None = None,
        lock: LockSession | None = None,
        mode_plan: ModePlan,
    ):
        self.settings = settings
        self.mode_plan = mode_plan
        self.lock = lock
        self.offline = offline  # never call the model: what is not cached fails
        self.read_cache = read_cache  # --no-cache: ask again, but keep the new answers
        # declared_key -> why its last values failed (`apply --repair`), or nothing
        # (`lock --update`): asked again, past the lock and the cache.
        self.reask: Mapping[str, Sequence[str]] = reask or {}
        self.pending: list[CachedAnswer] = []  # stored once the project's checks pass
        self.registry = registry
        self.cache = cache
        self._completer = completer
        self._tools: dict[str, Callable[..., Any]] | None = None
        self.completer_name = getattr(completer, "name", None) or settings.completer
        self.progress: ProgressCallback = progress or (lambda resource, status: None)
        self.semaphore = asyncio.Semaphore(settings.completion_concurrency)
        self.resources: list[Resource] = []  # the project's, for rules across resources

    async def run(self, resources: list[Resource]) -> CompletionReport:
        self.resources = resources
        ordered = topological_order(resources)
        tasks: dict[int, asyncio.Task[ResourceCompletion]] = {}
        for resource in ordered:  # dependencies come first, so their tasks exist
            waits = [tasks[id(before)] for before in dependencies(resource)]
            tasks[id(resource)] = asyncio.create_task(self._complete_after(resource, waits))
        results = await asyncio.gather(*tasks.values(), return_exceptions=True)
        _raise_failures(results)
        completed = [r for r in results if isinstance(r, ResourceCompletion)]
        return CompletionReport(
            completed, self.pending, self.cache, self.lock, self.mode_plan.describe()
        )

    async def _complete_after(
        self, resource: Resource, waits: list[asyncio.Task[ResourceCompletion]]
    ) -> ResourceCompletion:
        if waits:
            finished = await asyncio.gather(*waits, return_exceptions=True)
            if any(isinstance(outcome, BaseException) for outcome in finished):
                raise _DependencyFailed(label_of(resource))
        if resource.connected:
            resource.refresh_connections()  # peers are complete now: give their values
        if not resource.needs_completion():
            self.progress(resource, "skipped")
            return ResourceCompletion(resource, "complete")
        return await self._complete(resource)

    def _should_reuse(self, resource: Resource) -> bool:
        """Whether earlier answers (the lock's, the cache's) may stand for `resource`;
        not with --no-cache, nor when it is to be asked again (`lock --update NAME`, or
        `apply --repair` because its values failed their checks)."""
        return self.read_cache and resource.declared_key not in self.reask

    async def _complete(self, resource: Resource) -> ResourceCompletion:
        template = template_for(resource.type_name(), self.registry.prompt_templates)
        context = build_prompt_context(
            resource,
            self.reask.get(resource.declared_key, ()),
            secret_names=self.settings.secret_name_patterns,
        )
        output_type = output_model_for(resource)
        if self.lock is None:
            return await self._complete_unlocked(resource, context, output_type, template)
        # The lock first: hashed before any value is set, as the model would see it.
        # What the plain request sees: a repair's failure notes are not an input.
        hashes = input_hashes(context.without_failures().as_dict(), output_type)
        locked = self._from_lock(resource, hashes)
        if locked is not None:
            self.progress(resource, "locked")
            return locked
        completion = await self._complete_unlocked(resource, context, output_type, template)
        self.lock.record(
            resource,
            hashes,
            completion.filled,
            completer=self.completer_name,
            model=self.settings.model,
            # The mode the model answered in (auto's choice); from the cache: as configured.
            output_mode=completion.output_mode or self.settings.output_mode,
            template_version=template.version,
        )
        return completion

    def _from_lock(
        self, resource: Resource, hashes: Mapping[str, str]
    ) -> ResourceCompletion | None:
        assert self.lock is not None
        ask_again = None
        if not self._should_reuse(resource):
            why = "--no-cache"
            if resource.declared_key in self.reask:
                why = "its checks failed" if self.reask[resource.declared_key] else "--update"
            ask_again = f"asked again ({why})"
        values = self.lock.reuse(resource, hashes, ask_again=ask_again)
        if values is not None:
            return ResourceCompletion(resource, "locked", values)
        stale = self.lock.stale.get(resource.declared_key)
        if stale and self.offline:
            self.progress(resource, "failed")
            raise CompletionError(
                resource,
                resource.fields_to_complete(),
                f"its clockwork.lock entry is stale ({'; '.join(stale)}), and offline the "
                "model may not be asked again; run `clockwork lock` with a model",
            )
        return None

    async def _complete_unlocked(
        self,
        resource: Resource,
        context: PromptContext,
        output_type: type[BaseModel],
        template: PromptTemplate,
    ) -> ResourceCompletion:
        key = self._key(context, output_type, template) if self.cache is not None else None
        reuse = self._should_reuse(resource)
        cached = self._from_cache(resource, key) if key is not None and reuse else None
        if cached is not None:
            self.progress(resource, "cached")
            return cached
        if self.offline:
            self.progress(resource, "failed")
            where = (
                "in clockwork.lock nor " if self.lock is not None and self.lock.lock.exists else ""
            )
            raise CompletionError(
                resource,
                resource.fields_to_complete(),
                f"not {where}in the cache: the model would be asked, and offline nothing may "
                "be; run `clockwork lock` (or plan, apply) with a model first",
            )
        async with self.semaphore:
            self.progress(resource, "started")
            try:
                completion = await self._ask(resource, context, output_type, template)
            except BaseException:
                self.progress(resource, "failed")
                raise
        if self.cache is not None and key is not None:
            self.pending.append(
                CachedAnswer(key, completion.filled, resource.type_name(), resource.name)
            )
        self.progress(resource, "completed")
        return completion

    async def _ask(
        self,
        resource: Resource,
        context: PromptContext,
        output_type: type[BaseModel],
        template: PromptTemplate,
    ) -> ResourceCompletion:
        fields = resource.fields_to_complete()
        request = CompletionRequest(
            resource=resource,
            context=context,
            instructions=template.system_instructions(context),
            prompt=template.render(context),
            output_type=output_type,
            output_mode=self.settings.output_mode,
            tools={},
            max_retries=self.settings.completion_max_retries,
            timeout=self.settings.completion_timeout,
            project_rules=self._name_is_free,
        )
        try:
            request.tools = self._enabled_tools()
            outcome = await complete_in_modes(self._completer_instance(), request, self.mode_plan)
            if not request.accepted:
                request.accept(outcome.values)
        except OutputRejected as rejection:
            request.rollback()
            raise CompletionError(resource, fields, f"invalid values: {rejection}") from None
        except CompletionFailed as failure:
            request.rollback()
            fell_back = fall_back_to_empty(request) or fall_back_to_free_name(
                request, self._names_besides(resource)
            )
            if fell_back is not None:
                return self._completed(request, failure.model_calls, fell_back)
            reason = str(failure)
            if request.last_problem:
                reason += f"; last problem: {request.last_problem}"
            raise CompletionError(resource, fields, reason) from None
        except ClockworkError as error:  # e.g. no API key: say which resource needed it
            request.rollback()
            raise CompletionError(resource, fields, str(error), exit_code=error.exit_code) from None
        except BaseException:
            request.rollback()
            raise
        return self._completed(request, outcome.model_calls, [])

    def _completed(
        self, request: CompletionRequest, model_calls: int, warnings: list[str]
    ) -> ResourceCompletion:
        filled = request.resource.model_dump(mode="json", include=set(request.filled))
        return ResourceCompletion(
            request.resource, "completed", filled, model_calls, request.output_mode, warnings
        )

    def _name_is_free(self, resource: Resource) -> None:
        """An AI-chosen name must not be one another resource has (the user's, or one
        the AI chose already): the model is told, and chooses again."""
        if "name" not in resource.ai_filled_fields or resource.name is None:
            return
        taken = self._names_besides(resource)
        if resource.name in taken:
            # Not the names in use but one free name: a small model copies the names it
            # reads (seen live: told 'shop-2' was taken, the next resource chose it).
            free = suggested_name(resource, resource.name, taken)
            raise OutputRejected(
                f"name {resource.name!r} is already used by another resource: "
                f"choose a different name, such as {free!r}"
            )

    def _names_besides(self, resource: Resource) -> set[str]:
        return {o.name for o in self.resources if o is not resource and o.name is not None}

    def _completer_instance(self) -> Completer:
        # Created on the first cache miss: a project that is fully specified, or fully
        # cached, needs no API key and no reachable model.
        if self._completer is None:
            self._completer = create_completer(self.settings, self.registry)
        return self._completer

    def _enabled_tools(self) -> dict[str, Callable[..., Any]]:
        if self._tools is None:
            self._tools = enabled_tools(self.settings, self.registry)
        return self._tools

    def _key(
        self, context: PromptContext, output_type: type[BaseModel], template: PromptTemplate
    ) -> str:
        return cache_key(
            {
                "resource_type": context.resource_type,
                "output_schema": output_type.model_json_schema(),
                # Without the failures of a repair: its answer replaces the one that
                # failed, under the same key, so the next plain run reuses it.
                "context": context.without_failures().as_dict(),
                "model": self.settings.model,
                "base_url": self.settings.base_url,
                "output_mode": self.settings.output_mode,
                "completer": self.completer_name,
                "template_version": template.version,
                "tools": sorted(self.settings.completion_tools),
            }
        )

    def _from_cache(self, resource: Resource, key: str) -> ResourceCompletion | None:
        assert self.cache is not None
        values = self.cache.get(key)
        if values is None:
            return None
        try:
            filled = apply_completion(resource, values)
        except OutputRejected:
            return None  # the type's rules changed since it was stored: ask again
        return ResourceCompletion(
            resource, "cached", resource.model_dump(mode="json", include=set(filled))
        )


def _shown(resource: Resource, filled: dict[str, Any]) -> dict[str, Any]:
    """The filled values as reports print them: secret fields masked."""
    shown = resource.shown_fields()
    return {name: shown.get(name, value) for name, value in filled.items()}


def _raise_failures(results: list[Any]) -> None:
    """Raise the first failure in project order, mentioning how many others failed."""
    failures = [
        r for r in results if isinstance(r, BaseException) and not isinstance(r, _DependencyFailed)
    ]
    if not failures:
        return
    first = failures[0]
    if not isinstance(first, ClockworkError):
        raise first  # a bug or an interrupt: not ours to reword
    others = [f for f in failures[1:] if isinstance(f, CompletionError)]
    if others:
        names = ", ".join(repr(f.resource_name) for f in others)
        first.args = (f"{first.args[0]} (and {len(others)} more could not be completed: {names})",)
    raise first


# ----- entry points -----------------------------------------------------------------------


async def complete_project_async(
    project: Project,
    settings: Settings,
    *,
    use_cache: bool = True,
    progress: ProgressCallback | None = None,
    completer: Completer | None = None,
    registry: Registry | None = None,
    offline: bool = False,
    store: bool = True,
    reask: Mapping[str, Sequence[str]] | None = None,
    write_lock: bool = False,
) -> CompletionReport:
    """Complete every resource of `project` that needs it, in place.

    `completer` replaces the one `settings.completer` names (tests, embedding);
    `registry` defaults to the process-wide plugin host's. `offline`: values come from
    the cache only, and a resource that would need the model fails instead.
    `use_cache=False` asks the model again but keeps its answers; `store=False` leaves
    keeping them to the caller (`report.store()`, after its own checks). `reask` maps
    a resource's `declared_key` to the checks its last values failed (none: just ask
    again, as `lock --update` does): it is asked again, with them in its prompt, and
    nothing stored (lock, cache) answers it. Raises
    CompletionError (a ClockworkError) naming the resource and fields when one cannot
    be completed.

    The project's clockwork.lock is read first (clockwork.lockfile); `write_lock`
    lets `report.store()` write it.
    """
    if registry is None:  # a convenience for tests and embedding: the process-wide host
        from .plugins import get_plugin_host

        registry = get_plugin_host().registry
    cache = None
    if settings.cache_enabled or offline:
        cache = CompletionCache(cache_dir_for(project.directory, settings))
    mode_plan = ModePlan.for_project(project.directory, settings)
    run = _CompletionRun(
        settings,
        mode_plan=mode_plan,
        registry=registry,
        cache=cache,
        completer=completer,
        progress=progress,
        offline=offline,
        read_cache=use_cache or offline,
        reask=reask,
        lock=LockSession.for_project(project.directory, project.resources, write=write_lock),
    )
    report = await run.run(project.resources)
    if store:
        report.store()
    return report


def complete_project(
    project: Project,
    settings: Settings,
    *,
    use_cache: bool = True,
    progress: ProgressCallback | None = None,
    completer: Completer | None = None,
    registry: Registry | None = None,
    offline: bool = False,
    store: bool = True,
    reask: Mapping[str, Sequence[str]] | None = None,
    write_lock: bool = False,
) -> CompletionReport:
    """Synchronous `complete_project_async`; works even where an event loop is running
    (it then runs in a worker thread, and `progress` is called from that thread)."""

    return run_blocking(
        lambda: asyncio.run(
            complete_project_async(
                project,
                settings,
                use_cache=use_cache,
                progress=progress,
                completer=completer,
                registry=registry,
                offline=offline,
                store=store,
                reask=reask,
                write_lock=write_lock,
            )
        )
    )
