"""AI completion: what the model is asked, how its answers are merged, in what order.

Every test runs the real PydanticAI agent against a scripted FunctionModel; no request
leaves the process (ALLOW_MODEL_REQUESTS is off).
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pydantic_ai.models
import pytest
from pydantic import Field, field_validator
from pydantic_ai.messages import ModelResponse, ToolCallPart, ToolReturnPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from clockwork import ClockworkError, ProjectError, Resource, hookimpl
from clockwork.completion import (
    CompletionError,
    CompletionOutcome,
    CompletionRequest,
    OutputRejected,
    apply_completion,
    complete_project,
    output_model_for,
)
from clockwork.completion_testing import (
    ScriptedModel,
    completion_of,
    first_prompt,
    project_of,
    response_with,
    scripted_completer,
)
from clockwork.errors import UsageError
from clockwork.prompts import PromptTemplate
from clockwork.pydantic_ai_completer import PydanticAICompleter
from clockwork.settings import Settings
from clockwork.testing import plugin_host

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False  # a real request would be a test bug

API_KEY = "sk-test-DO-NOT-LEAK-4242"


class Service(Resource):
    """A long-running network service in a container."""

    image: str | None = Field(None, description="Container image, with a tag.")
    port: int | None = Field(None, ge=1, le=65535, description="Port it listens on.")
    env: dict[str, str] | None = Field(None, description="Environment variables.")
    replicas: int = 1

    @field_validator("image")
    @classmethod
    def _image_has_tag(cls, image: str | None) -> str | None:
        if image is not None and ":" not in image:
            raise ValueError("an image needs a tag, like postgres:16")
        return image


class Folder(Resource):
    """A folder of the project."""

    path: str | None = Field(None, description="Folder, relative to the project.")

    def check_completed(self) -> None:
        if "path" in self.ai_filled_fields and (self.path or "").startswith(("/", "..")):
            raise ProjectError(f"{self!r}: the AI chose {self.path!r}, outside the project")


class Stack(Resource):
    """A whole application."""

    region: str | None = Field(None, description="Where it runs.")


class Group(Resource):
    """Part of an application."""

    tier: str | None = Field(None, description="Which tier the group belongs to.")


DB_VALUES = {"image": "postgres:16", "port": 5432, "env": {"POSTGRES_DB": "shop"}}
API_VALUES = {
    "image": "shop/api:1.0",
    "port": 8000,
    "env": {"DATABASE_URL": "postgresql://db:5432/shop"},
}


@pytest.fixture
def settings(clean_env: pytest.MonkeyPatch, tmp_path: Path) -> Settings:
    return Settings(api_key=API_KEY, cache_dir=tmp_path / "cache", _env_file=None)


def run(tmp_path: Path, settings: Settings, model: ScriptedModel, *roots: Resource, **options):
    project = project_of(tmp_path, *roots)
    return complete_project(
        project, settings, completer=scripted_completer(settings, model), use_cache=False, **options
    )


# ----- what the model is asked ------------------------------------------------------------


def test_prompt_has_description_user_fields_and_connections_but_never_the_key(tmp_path, settings):
    db = Service(name="db", description="Postgres for the shop", **DB_VALUES)
    api = Service(name="api", description="The shop's REST API", port=8000).connect(db)
    model = ScriptedModel({"api": API_VALUES})

    run(tmp_path, settings, model, api)

    [call] = model.calls  # db is fully specified: never sent to the model
    assert call.resource == "api"
    assert "The shop's REST API" in call.prompt
    assert '"port": 8000' in call.prompt  # the user's value, given as fixed
    assert '"image": "postgres:16"' in call.prompt  # db's connection context
    assert "Environment variables." in call.prompt  # a field to fill, with its description
    everything = call.prompt + call.instructions + repr(call.messages) + repr(call.info)
    assert API_KEY not in everything


def test_the_model_is_asked_for_only_the_missing_fields_with_their_constraints(tmp_path, settings):
    api = Service(name="api", port=8000)
    model = ScriptedModel({"api": API_VALUES})

    run(tmp_path, settings, model, api)

    schema = model.calls[0].info.output_tools[0].parameters_json_schema
    assert set(schema["properties"]) == {"image", "env"}
    assert set(schema["required"]) == {"image", "env"}
    assert schema["properties"]["image"]["description"] == "Container image, with a tag."


def test_output_model_keeps_types_constraints_and_descriptions():
    output = output_model_for(Service(name="web"))

    schema = output.model_json_schema()
    assert list(schema["properties"]) == ["image", "port", "env"]
    assert schema["properties"]["port"]["minimum"] == 1
    assert schema["properties"]["port"]["maximum"] == 65535
    assert schema["properties"]["port"]["type"] == "integer"  # None is not an answer
    assert schema["properties"]["port"]["description"] == "Port it listens on."


# ----- merging ----------------------------------------------------------------------------


def test_user_fields_are_never_overwritten_even_when_the_model_returns_them(tmp_path, settings):
    api = Service(name="api", description="API", port=8000)
    greedy = {
        "image": "shop/api:1.0",
        "env": {},
        "port": 1,
        "name": "hijacked",
        "description": "changed",
        "replicas": 9,
    }
    model = ScriptedModel({"api": greedy})

    report = run(tmp_path, settings, model, api)

    assert (api.name, api.description, api.port, api.replicas) == ("api", "API", 8000, 1)
    assert api.image == "shop/api:1.0"
    assert api.ai_filled_fields == {"image", "env"}
    assert completion_of(report, "api").filled == {"image": "shop/api:1.0", "env": {}}


def test_apply_completion_ignores_user_fields_and_unknown_keys():
    api = Service(name="api", port=8000)

    filled = apply_completion(api, {"port": 1, "image": "a:1", "env": {}, "bogus": 3})

    assert sorted(filled) == ["env", "image"]
    assert api.port == 8000


def test_a_rejected_proposal_leaves_the_resource_exactly_as_it_was():
    folder = Folder(name="data")

    with pytest.raises(OutputRejected, match="outside the project"):
        apply_completion(folder, {"path": "../../etc"})

    assert folder.path is None
    assert folder.ai_filled_fields == frozenset()
    assert "path" not in folder.model_fields_set
    assert folder.user_set_fields() == {"name": "data"}


def test_invalid_output_goes_back_to_the_model_until_it_is_valid(tmp_path, settings):
    web = Service(name="web", description="Static site")
    untagged = {"image": "nginx", "port": 80, "env": {}}
    model = ScriptedModel({"web": [untagged, {**untagged, "image": "nginx:1.27"}]})

    report = run(tmp_path, settings, model, web)

    assert web.image == "nginx:1.27"
    assert completion_of(report, "web").model_calls == 2
    assert "an image needs a tag" in model.calls[1].feedback  # the resource's own validator


def test_schema_violations_are_retried_too(tmp_path, settings):
    web = Service(name="web")
    model = ScriptedModel(
        {
            "web": [
                {"image": "nginx:1", "port": 0, "env": {}},
                {"image": "nginx:1", "port": 80, "env": {}},
            ]
        }
    )

    run(tmp_path, settings, model, web)

    assert web.port == 80
    assert "greater than or equal to 1" in model.calls[1].feedback


def test_a_copied_secret_placeholder_is_retried_never_deployed(tmp_path, settings):
    """The model reads secrets as `<secret>`; a small one copies the marker into its
    own values (an env var `<secret>`): that goes back as a retry."""
    web = Service(name="web")
    copied = {"image": "nginx:1", "port": 80, "env": {"DB_PASSWORD": "<secret>"}}
    model = ScriptedModel({"web": [copied, {**copied, "env": {}}]})

    run(tmp_path, settings, model, web)

    assert web.env == {}
    assert "env: <secret> stands for a value you cannot see" in model.calls[1].feedback


def test_an_ai_filled_path_that_breaks_a_safety_rule_is_retried(tmp_path, settings):
    folder = Folder(name="data", description="Where uploads go")
    model = ScriptedModel({"data": [{"path": "../../etc"}, {"path": "uploads"}]})

    run(tmp_path, settings, model, folder)

    assert folder.path == "uploads"
    assert folder.ai_filled_fields == {"path"}
    assert "outside the project" in model.calls[1].feedback


def test_garbage_forever_is_an_error_naming_the_resource_and_fields(tmp_path, settings):
    web = Service(name="web", port=80)
    model = ScriptedModel({"web": {"image": "no-tag", "env": {}}})
    settings = settings.model_copy(update={"completion_max_retries": 2})

    with pytest.raises(CompletionError) as caught:
        run(tmp_path, settings, model, web)

    message = str(caught.value)
    assert "Service 'web'" in message
    assert "image, env" in message
    assert "an image needs a tag" in message  # the last problem, so a user can act on it
    assert isinstance(caught.value, ClockworkError)
    assert len(model.calls) == 3  # one try plus two retries
    assert web.image is None and web.ai_filled_fields == frozenset()


def test_what_depends_on_a_failed_resource_is_not_attempted(tmp_path, settings):
    db = Service(name="db")
    api = Service(name="api").connect(db)
    model = ScriptedModel({"db": {"image": "no-tag", "port": 1, "env": {}}, "api": API_VALUES})
    settings = settings.model_copy(update={"completion_max_retries": 0})

    with pytest.raises(CompletionError, match="Service 'db'") as caught:
        run(tmp_path, settings, model, api)

    assert model.order == ["db"]
    assert "api" not in str(caught.value)


def test_every_failed_resource_is_named_the_first_in_project_order_in_full(tmp_path, settings):
    model = ScriptedModel(lambda name, attempt: {"image": "no-tag", "port": 1, "env": {}})
    settings = settings.model_copy(update={"completion_max_retries": 0})

    with pytest.raises(CompletionError) as caught:
        run(tmp_path, settings, model, Service(name="a"), Service(name="b"))

    assert str(caught.value).startswith("could not complete Service 'a'")
    assert str(caught.value).endswith("(and 1 more could not be completed: 'b')")


def test_a_model_that_does_not_answer_in_time_is_an_error(tmp_path, settings):
    web = Service(name="web")
    model = ScriptedModel({"web": {"image": "a:1", "port": 1, "env": {}}}, delay=5)
    settings = settings.model_copy(update={"completion_timeout": 0.05})

    with pytest.raises(CompletionError, match=r"Service 'web'.*did not answer within 0.05 s"):
        run(tmp_path, settings, model, web)


@pytest.mark.parametrize("mode", ["tool", "native", "prompted"])
def test_every_output_mode_completes(tmp_path, settings, mode):
    web = Service(name="web")
    model = ScriptedModel({"web": {"image": "nginx:1.27", "port": 80, "env": {}}})
    settings = settings.model_copy(update={"output_mode": mode})

    run(tmp_path, settings, model, web)

    assert web.image == "nginx:1.27"
    assert model.calls[0].info.model_request_parameters.output_mode == mode


# ----- order and concurrency --------------------------------------------------------------


def test_a_resource_is_completed_after_what_it_connects_to_and_sees_its_values(tmp_path, settings):
    api = Service(name="api", description="The shop's API")  # declared first on purpose
    db = Service(name="db", description="Postgres")
    api.connect(db)
    model = ScriptedModel({"db": DB_VALUES, "api": API_VALUES})

    run(tmp_path, settings, model, api, db)

    assert model.order == ["db", "api"]
    assert model.events.index(("end", "db")) < model.events.index(("start", "api"))
    api_prompt = model.calls_for("api")[0].prompt
    assert '"image": "postgres:16"' in api_prompt  # db's AI-filled values, not None
    assert '"port": 5432' in api_prompt
    assert api.connections[0]["image"] == "postgres:16"


def test_two_phase_completion_of_a_three_level_composite(tmp_path, settings):
    shop = Stack(name="shop", description="A small web shop").add(
        Group(name="backend", description="Server side").add(
            Service(name="api", description="REST API", port=8000),
            Service(name="worker", description="Background jobs"),
        ),
        Service(name="web", description="Front end"),
    )
    service = {"image": "shop/app:1", "port": 9000, "env": {}}
    model = ScriptedModel(
        {
            "shop": {"region": "eu-west"},
            "backend": {"tier": "core"},
            "api": service,
            "worker": service,
            "web": service,
        }
    )

    run(tmp_path, settings, model, shop)

    order = model.order
    assert order[0] == "shop"
    assert order.index("backend") < order.index("api")
    assert order.index("backend") < order.index("worker")
    shop_prompt = model.calls_for("shop")[0].prompt
    assert "Server side" in shop_prompt and "Front end" in shop_prompt  # its children
    backend_prompt = model.calls_for("backend")[0].prompt
    assert '"region": "eu-west"' in backend_prompt  # the completed parent
    assert "REST API" in backend_prompt and "Front end" in backend_prompt  # children, sibling
    api_prompt = model.calls_for("api")[0].prompt
    assert '"tier": "core"' in api_prompt  # completed parent
    assert '"region": "eu-west"' in api_prompt  # completed grandparent
    assert "Background jobs" in api_prompt  # sibling, visible through the parent
    assert shop.region == "eu-west" and shop.children["backend"].tier == "core"


def test_independent_resources_complete_concurrently_within_the_limit(tmp_path, settings):
    services = [Service(name=f"s{i}") for i in range(6)]
    model = ScriptedModel(lambda name, attempt: {"image": "a:1", "port": 80, "env": {}}, delay=0.05)
    settings = settings.model_copy(update={"completion_concurrency": 3})

    run(tmp_path, settings, model, *services)

    assert max_in_flight(model.events) == 3  # overlapping, yet never more than allowed


def test_a_concurrency_of_one_completes_one_at_a_time(tmp_path, settings):
    services = [Service(name=f"s{i}") for i in range(3)]
    model = ScriptedModel(lambda name, attempt: {"image": "a:1", "port": 80, "env": {}}, delay=0.01)
    settings = settings.model_copy(update={"completion_concurrency": 1})

    run(tmp_path, settings, model, *services)

    assert max_in_flight(model.events) == 1


def max_in_flight(events: list[tuple[str, str | None]]) -> int:
    running = highest = 0
    for kind, _ in events:
        running += 1 if kind == "start" else -1
        highest = max(highest, running)
    return highest


# ----- the report and progress ------------------------------------------------------------


def test_report_is_json_safe_in_project_order_with_provenance(tmp_path, settings):
    db = Service(name="db", **DB_VALUES)
    web = Service(name="web")
    model = ScriptedModel({"web": {"image": "nginx:1.27", "port": 80, "env": {}}})

    report = run(tmp_path, settings, model, db, web)

    data = json.loads(json.dumps(report.to_dict()))
    assert [entry["name"] for entry in data["resources"]] == ["db", "web"]
    assert data["resources"][0]["status"] == "complete"
    assert data["resources"][1]["ai_filled"] == ["env", "image", "port"]
    assert data["model_calls"] == 1 and data["cache_hits"] == 0


def test_progress_is_reported_for_each_resource(tmp_path, settings):
    db = Service(name="db", **DB_VALUES)
    web = Service(name="web")
    model = ScriptedModel({"web": {"image": "nginx:1.27", "port": 80, "env": {}}})
    seen: list[tuple[str | None, str]] = []

    run(
        tmp_path,
        settings,
        model,
        db,
        web,
        progress=lambda resource, status: seen.append((resource.name, status)),
    )

    assert seen == [("db", "skipped"), ("web", "started"), ("web", "completed")]


def test_complete_project_works_where_an_event_loop_is_already_running(tmp_path, settings):
    web = Service(name="web")
    model = ScriptedModel({"web": {"image": "nginx:1.27", "port": 80, "env": {}}})

    async def from_async_code():
        return run(tmp_path, settings, model, web)

    report = asyncio.run(from_async_code())
    assert report.model_calls == 1 and web.image == "nginx:1.27"


# ----- plugins: completers, tools, templates ----------------------------------------------


class FixedValuesCompleter:
    """A third-party backend: no model at all, the same values every time."""

    created = 0

    def __init__(self, settings: Settings):
        FixedValuesCompleter.created += 1

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        fixed = {
            "image": "fixed/image:1",
            "port": 1234,
            "env": {},
            "path": "fixed",
            "name": "ignored",
        }
        return CompletionOutcome({name: fixed[name] for name in request.output_type.model_fields})


class FixedValuesPlugin:
    @hookimpl
    def register_completers(self, register):
        register("fixed", FixedValuesCompleter)


def test_a_third_party_completer_registered_through_the_hook_is_used(tmp_path, settings):
    web = Service(name="web", port=80)
    settings = settings.model_copy(update={"completer": "fixed"})

    with plugin_host(FixedValuesPlugin()) as host:
        assert host.registry.completers["fixed"].distribution == "test-plugin"
        report = complete_project(project_of(tmp_path, web), settings, use_cache=False)

    assert (web.image, web.port, web.env) == ("fixed/image:1", 80, {})
    assert web.ai_filled_fields == {"image", "env"}
    assert completion_of(report, "web").status == "completed"


def test_a_fully_specified_project_never_creates_the_completer(tmp_path, settings):
    db = Service(name="db", **DB_VALUES)
    settings = settings.model_copy(update={"completer": "fixed", "api_key": None})
    FixedValuesCompleter.created = 0

    with plugin_host(FixedValuesPlugin()):
        report = complete_project(project_of(tmp_path, db), settings)

    assert FixedValuesCompleter.created == 0
    assert report.model_calls == 0 and report.resources[0].status == "complete"


def test_no_api_key_is_fine_when_nothing_needs_completion(tmp_path, settings):
    db = Service(name="db", **DB_VALUES)
    settings = settings.model_copy(update={"api_key": None})

    with plugin_host():
        report = complete_project(project_of(tmp_path, db), settings)

    assert report.model_calls == 0


def test_no_api_key_is_an_error_naming_what_needs_completion(tmp_path, settings):
    web = Service(name="web")
    settings = settings.model_copy(update={"api_key": None})

    with plugin_host(), pytest.raises(CompletionError) as caught:
        complete_project(project_of(tmp_path, web), settings)

    assert "Service 'web'" in str(caught.value)
    assert "CW_API_KEY is not set" in str(caught.value)
    assert caught.value.exit_code == UsageError.exit_code


def test_an_unknown_completer_is_a_usage_error(tmp_path, settings):
    settings = settings.model_copy(update={"completer": "nope"})

    with plugin_host(), pytest.raises(ClockworkError, match="unknown completer 'nope'") as caught:
        complete_project(project_of(tmp_path, Service(name="web")), settings)

    assert caught.value.exit_code == UsageError.exit_code


def service_catalog(kind: str) -> str:
    """The image most people use for a kind of service."""
    return {"postgres": "postgres:16.4"}.get(kind, "unknown")


class CatalogToolPlugin:
    @hookimpl
    def register_completion_tools(self, register):
        register("service_catalog", service_catalog)


def catalog_using_model(seen: list[list[str]]) -> FunctionModel:
    """Asks the catalog when it is offered, then answers with what it said."""

    def respond(messages, info: AgentInfo) -> ModelResponse:
        offered = [tool.name for tool in info.function_tools]
        seen.append(offered)
        returns = [
            part
            for message in messages
            for part in getattr(message, "parts", ())
            if isinstance(part, ToolReturnPart)
        ]
        if "service_catalog" in offered and not returns:
            return ModelResponse(parts=[ToolCallPart("service_catalog", {"kind": "postgres"})])
        image = returns[0].content if returns else "postgres:16"
        return response_with({"image": image, "port": 5432, "env": {}}, info)

    return FunctionModel(respond)


def test_an_enabled_completion_tool_is_offered_to_the_model(tmp_path, settings):
    db = Service(name="db", description="Postgres")
    seen: list[list[str]] = []
    settings = settings.model_copy(update={"completion_tools": ["service_catalog"]})
    completer = PydanticAICompleter(settings, model=catalog_using_model(seen))

    with plugin_host(CatalogToolPlugin()):
        complete_project(project_of(tmp_path, db), settings, completer=completer, use_cache=False)

    assert seen[0] == ["service_catalog"]
    assert db.image == "postgres:16.4"  # the value came back through the tool


def test_completion_tools_are_off_by_default(tmp_path, settings):
    db = Service(name="db")
    seen: list[list[str]] = []
    completer = PydanticAICompleter(settings, model=catalog_using_model(seen))

    with plugin_host(CatalogToolPlugin()):
        complete_project(project_of(tmp_path, db), settings, completer=completer, use_cache=False)

    assert seen == [[]]
    assert db.image == "postgres:16"


def test_an_unknown_completion_tool_is_a_usage_error(tmp_path, settings):
    settings = settings.model_copy(update={"completion_tools": ["nope"]})
    model = ScriptedModel({"web": {"image": "a:1", "port": 1, "env": {}}})

    with plugin_host(), pytest.raises(CompletionError, match="unknown completion tool 'nope'"):
        run(tmp_path, settings, model, Service(name="web"))


class ServiceTemplatePlugin:
    @hookimpl
    def register_prompt_templates(self, register):
        register(
            "Service",
            PromptTemplate(version="service-1", guidance="Only use images from registry.example."),
        )


def test_a_plugin_template_overrides_the_default_for_its_type_only(tmp_path, settings):
    web = Service(name="web")
    folder = Folder(name="data")
    model = ScriptedModel(
        {
            "web": {"image": "registry.example/web:1", "port": 80, "env": {}},
            "data": {"path": "data"},
        }
    )

    with plugin_host(ServiceTemplatePlugin()):
        run(tmp_path, settings, model, web, folder)

    assert "registry.example" in model.calls_for("web")[0].instructions
    assert "registry.example" not in model.calls_for("data")[0].instructions
    assert "You complete infrastructure resources" in model.calls_for("data")[0].instructions


class TextTemplatePlugin:
    @hookimpl
    def register_prompt_templates(self, register):
        register("Service", "Name {name}'s image after the team; keep {unknown} as is.")


def test_a_plain_text_template_is_guidance_for_its_type(tmp_path, settings):
    web = Service(name="web")
    model = ScriptedModel({"web": {"image": "team/web:1", "port": 80, "env": {}}})

    with plugin_host(TextTemplatePlugin()):
        run(tmp_path, settings, model, web)

    assert "Name web's image after the team; keep {unknown} as is." in (model.calls[0].instructions)


def test_first_prompt_reads_the_user_prompt():
    from pydantic_ai.messages import ModelRequest, UserPromptPart

    assert first_prompt([ModelRequest(parts=[UserPromptPart("hello")])]) == "hello"
