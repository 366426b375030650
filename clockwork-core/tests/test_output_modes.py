"""Output mode `auto`: the order it tries the modes in, switching at the first answer in
the wrong shape, and remembering the mode that worked per base URL and model.

The model is a PydanticAI FunctionModel that answers each mode as a given server
would; no request leaves the process."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Annotated, Any

import pydantic_ai.models
import pytest
from pydantic import Field
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from clockwork import Resource
from clockwork.answer_length import ShortAnswer
from clockwork.completion import CompletionError, complete_project, output_model_for
from clockwork.completion_testing import project_of
from clockwork.output_modes import ModeMemory
from clockwork.pydantic_ai_completer import PydanticAICompleter
from clockwork.pydantic_ai_shapes import ANTI_REPETITION, AnswerBudget, is_runaway
from clockwork.settings import Settings

pydantic_ai.models.ALLOW_MODEL_REQUESTS = False

LOCAL_URL = "http://127.0.0.1:8080/v1"
HOSTED_URL = "https://models.example.com/v1"
ANSWER = {"image": "redis:7", "port": 6379}


class Service(Resource):
    """A service in a container."""

    image: str | None = Field(None, description="Container image with a tag.")
    port: int | None = Field(None, ge=1, le=65535, description="Port it listens on.")


ModeAnswer = Callable[[int], ModelResponse]  # attempt number -> response


class Server:
    """Answers each output mode as a server would; records the mode of every call."""

    def __init__(self, answers: dict[str, ModeAnswer]):
        self.answers = answers
        self.modes: list[str] = []
        self.model = FunctionModel(self._respond, model_name="stand-in")

    def _respond(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        mode = info.model_request_parameters.output_mode
        attempt = sum(isinstance(message, ModelResponse) for message in messages)
        self.modes.append(mode)
        if mode not in self.answers:
            raise AssertionError(f"mode {mode} was not expected to be tried")
        return self.answers[mode](attempt)


def tool_call(values: dict[str, object]) -> ModeAnswer:
    return lambda attempt: ModelResponse(parts=[ToolCallPart("fill_fields", dict(values))])


def text(content: str) -> ModeAnswer:
    return lambda attempt: ModelResponse(parts=[TextPart(content)])


def settings_for(tmp_path: Path, base_url: str, **changes: object) -> Settings:
    return Settings(
        base_url=base_url,
        model="small",
        api_key="sk-test",
        _env_file=None,
        **changes,  # type: ignore[arg-type]
    )


def complete(tmp_path: Path, settings: Settings, server: Server, *resources: Resource):
    completer = PydanticAICompleter(settings, model=server.model)
    project = project_of(tmp_path, *resources)
    return complete_project(project, settings, completer=completer)


def remembered(tmp_path: Path, base_url: str) -> str | None:
    return ModeMemory.for_project(tmp_path, Settings(_env_file=None)).recall(base_url, "small")


# ----- the order, and switching at once ----------------------------------------------------


def test_auto_is_the_default_and_a_local_server_is_tried_in_native_mode_first(tmp_path):
    server = Server({"native": text(json.dumps(ANSWER))})
    settings = settings_for(tmp_path, LOCAL_URL)

    report = complete(tmp_path, settings, server, service := Service(name="cache"))

    assert settings.output_mode == "auto"
    assert server.modes == ["native"]
    assert (service.image, service.port) == ("redis:7", 6379)
    assert report.resources[0].output_mode == "native"
    assert remembered(tmp_path, LOCAL_URL) == "native"


def test_an_answer_that_is_not_json_switches_to_the_next_mode_at_once(tmp_path):
    server = Server(
        {
            "native": text("Sure! The cache should use redis."),
            "prompted": text("```json\n" + json.dumps(ANSWER) + "\n```"),
        }
    )
    settings = settings_for(tmp_path, LOCAL_URL)

    report = complete(tmp_path, settings, server, Service(name="cache"))

    # One native call, not the 1 + 3 retries: the first answer showed the mode is wrong.
    assert server.modes == ["native", "prompted"]
    assert report.model_calls == 2
    assert remembered(tmp_path, LOCAL_URL) == "prompted"


def test_a_hosted_server_is_tried_with_tool_calls_first_and_text_instead_switches(tmp_path):
    server = Server(
        {
            "tool": text('{"name": "fill_fields", "arguments": {}}'),
            "native": text(json.dumps(ANSWER)),
        }
    )
    settings = settings_for(tmp_path, HOSTED_URL)

    complete(tmp_path, settings, server, Service(name="cache"))

    assert server.modes == ["tool", "native"]
    assert remembered(tmp_path, HOSTED_URL) == "native"


def test_the_remembered_mode_is_tried_first_on_the_next_run(tmp_path):
    settings = settings_for(tmp_path, HOSTED_URL)
    ModeMemory.for_project(tmp_path, Settings(_env_file=None)).remember(
        HOSTED_URL, "small", "prompted"
    )
    server = Server({"prompted": text(json.dumps(ANSWER))})

    complete(tmp_path, settings, server, Service(name="cache"))

    assert server.modes == ["prompted"]


def test_the_memory_is_per_base_url_and_model(tmp_path):
    memory = ModeMemory.for_project(tmp_path, Settings(_env_file=None))
    memory.remember(LOCAL_URL, "small", "prompted")
    memory.remember(LOCAL_URL, "large", "tool")

    assert memory.recall(LOCAL_URL, "small") == "prompted"
    assert memory.recall(LOCAL_URL + "/", "small") == "prompted"  # the same server
    assert memory.recall(LOCAL_URL, "large") == "tool"
    assert memory.recall(HOSTED_URL, "small") is None


@pytest.mark.parametrize("content", ["not json", '{"auto": "bogus"}', '["native"]'])
def test_a_corrupt_or_hand_edited_memory_is_ignored(tmp_path, content):
    memory = ModeMemory.for_project(tmp_path, Settings(_env_file=None))
    memory.path.parent.mkdir(parents=True)
    memory.path.write_text(content)
    server = Server({"native": text(json.dumps(ANSWER))})

    complete(tmp_path, settings_for(tmp_path, LOCAL_URL), server, Service(name="cache"))

    assert server.modes == ["native"]
    assert memory.recall(LOCAL_URL, "small") == "native"


def test_values_that_are_rejected_are_retried_in_the_same_mode(tmp_path):
    answers = [{"image": "redis:7", "port": 0}, ANSWER]  # port 0 fails ge=1
    server = Server(
        {"native": lambda attempt: ModelResponse([TextPart(json.dumps(answers[attempt]))])}
    )

    complete(tmp_path, settings_for(tmp_path, LOCAL_URL), server, service := Service(name="c"))

    assert server.modes == ["native", "native"]
    assert service.port == 6379
    assert remembered(tmp_path, LOCAL_URL) == "native"


def test_when_no_mode_works_the_error_names_each_mode_and_why(tmp_path):
    server = Server({"native": text("no"), "prompted": text("still no"), "tool": text("never")})

    with pytest.raises(CompletionError) as failure:
        complete(tmp_path, settings_for(tmp_path, LOCAL_URL), server, Service(name="cache"))

    message = str(failure.value)
    assert "Service 'cache'" in message and "no output mode worked" in message
    for mode in ("native:", "prompted:", "tool:"):
        assert mode in message
    assert server.modes == ["native", "prompted", "tool"]
    assert remembered(tmp_path, LOCAL_URL) is None


def test_nothing_is_remembered_when_the_cache_is_disabled(tmp_path):
    server = Server({"native": text("no"), "prompted": text(json.dumps(ANSWER))})
    settings = settings_for(tmp_path, LOCAL_URL, cache_enabled=False)

    complete(tmp_path, settings, server, Service(name="cache"))

    assert server.modes == ["native", "prompted"]
    assert not (tmp_path / ".clockwork").exists()


def test_a_configured_mode_is_the_only_one_used(tmp_path):
    server = Server({"native": text("not json")})
    settings = settings_for(tmp_path, LOCAL_URL, output_mode="native", completion_max_retries=1)

    with pytest.raises(CompletionError, match="no valid values in 2 attempts"):
        complete(tmp_path, settings, server, Service(name="cache"))

    assert server.modes == ["native", "native"]  # retried, never another mode
    assert not ModeMemory.for_project(tmp_path, Settings(_env_file=None)).path.exists()


# ----- streaming: a tool-mode answer in text stops at its first words ---------------------


def complete_streamed(tmp_path: Any, url: str, server: Any) -> tuple[Service, Any]:
    """A Service named cache, completed by a streaming stand-in server at `url`."""
    settings = settings_for(tmp_path, url)
    streaming = FunctionModel(stream_function=server, model_name="stand-in")
    completer = PydanticAICompleter(settings, model=streaming, stream=True)
    project = project_of(tmp_path, service := Service(name="cache"))
    return service, complete_project(project, settings, completer=completer)


def test_a_streamed_text_answer_in_tool_mode_is_cut_off_at_its_first_chunk(tmp_path):
    sent: dict[str, int] = {"tool": 0, "native": 0}

    async def server(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[str | DeltaToolCalls]:
        mode = info.model_request_parameters.output_mode
        if mode == "native":
            sent["native"] += 1
            yield json.dumps(ANSWER)
            return
        for _ in range(1000):  # a small model writing the call as text, again and again
            sent["tool"] += 1
            yield '```json\n{"name": "fill_fields"}\n```\n'

    service, report = complete_streamed(tmp_path, HOSTED_URL, server)

    assert sent["tool"] <= 2  # stopped at its first chunk: not 1000, and not retried
    assert sent["native"] == 1
    assert service.image == "redis:7"
    assert report.resources[0].output_mode == "native"


def test_a_streamed_tool_call_passes_the_shape_check(tmp_path):
    async def server(
        messages: list[ModelMessage], info: AgentInfo
    ) -> AsyncIterator[DeltaToolCalls]:
        yield {0: DeltaToolCall("fill_fields", json.dumps(ANSWER))}

    service, report = complete_streamed(tmp_path, HOSTED_URL, server)

    assert service.port == 6379
    assert report.resources[0].output_mode == "tool"


def test_a_streamed_runaway_answer_is_cut_short_and_retried_in_the_same_mode(tmp_path):
    sent: list[int] = []

    async def server(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        attempt = sum(isinstance(message, ModelResponse) for message in messages)
        sent.append(0)
        if attempt > 0:
            yield json.dumps(ANSWER)
            return
        yield '{"image": "redis:7'
        for _ in range(10_000):  # a small model repeating itself inside a string
            sent[-1] += 1
            yield "-alpine3.14.0"

    service, report = complete_streamed(tmp_path, LOCAL_URL, server)

    assert sent[0] < 100  # cut short after a few hundred characters, not 10,000 chunks
    assert len(sent) == 2 and service.image == "redis:7"
    assert report.resources[0].output_mode == "native"  # retried, not a mode switch


@pytest.mark.parametrize(
    ("text", "runaway"),
    [
        ('{"image": "postgres:16' + "-alpine3.14.0" * 30, True),
        ('{"image": "nginx@sha256:9c04' + "f6" * 200, True),
        ('{"name": "db",' + " " * 300, True),
        ('{"content": "' + " ".join(f"line {n}: order {n * 7} shipped" for n in range(40)), False),
        ('{"name": "db", "image": "postgres:16"}', False),
        ("| --- " * 20, False),  # a long table header is not a loop
    ],
)
def test_what_counts_as_a_runaway_answer(text, runaway):
    assert is_runaway(text) is runaway


def test_after_a_runaway_the_retry_sees_no_loop_and_asks_for_calmer_sampling(tmp_path):
    requests: list[tuple[list[ModelMessage], dict[str, object]]] = []

    async def server(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        requests.append((messages, dict(info.model_settings or {})))
        if len(requests) > 1:
            yield json.dumps(ANSWER)
            return
        yield '{"image": "redis:7'
        for _ in range(10_000):
            yield "-alpine3.14.0"

    service, _ = complete_streamed(tmp_path, LOCAL_URL, server)

    first_settings, (history, retry_settings) = requests[0][1], requests[1]
    looped = next(m for m in history if isinstance(m, ModelResponse)).parts[0]
    assert isinstance(looped, TextPart)
    assert looped.content == '{"image": "redis:7-alpine3.14.0'  # one copy of the loop kept
    assert "frequency_penalty" not in first_settings and "max_tokens" not in first_settings
    assert retry_settings["frequency_penalty"] == ANTI_REPETITION["frequency_penalty"]
    assert retry_settings["temperature"] == ANTI_REPETITION["temperature"]
    budget = AnswerBudget.of(output_model_for(Service(name="x")))
    assert retry_settings["max_tokens"] == budget.tokens
    assert service.image == "redis:7"


def test_an_answer_stopped_at_the_token_limit_is_retried_in_the_same_mode(tmp_path):
    def answer(attempt: int) -> ModelResponse:
        if attempt == 0:  # the server's max_tokens ended it mid-string: not JSON
            return ModelResponse(parts=[TextPart('{"image": "redis:7-al')], finish_reason="length")
        return ModelResponse(parts=[TextPart(json.dumps(ANSWER))])

    server = Server({"native": answer})
    settings = settings_for(tmp_path, LOCAL_URL)
    project = project_of(tmp_path, service := Service(name="cache"))

    report = complete_project(
        project, settings, completer=PydanticAICompleter(settings, model=server.model)
    )

    assert server.modes == ["native", "native"]  # not blamed on the mode
    assert service.image == "redis:7" and report.resources[0].output_mode == "native"


class Named(Resource):
    """A resource whose short strings are bounded, as DockerResource's are."""

    image: Annotated[str | None, ShortAnswer(100)] = Field(None, description="An image.")


def test_the_answer_budget_follows_the_schema():
    bounded = AnswerBudget.of(output_model_for(Named(name="x")))
    small = AnswerBudget.of(output_model_for(Service(name="x", image="redis:7")))  # the port
    free_text = AnswerBudget.of(output_model_for(Service(name="x", port=80)))  # the image

    assert 100 < bounded.chars < 200 and small.chars < 100
    assert free_text.chars > 4000  # a string without max_length may be a whole file
    assert small.tokens * 3 <= small.chars


def test_an_answer_longer_than_its_schema_allows_is_cut_short_and_retried(tmp_path):
    sent: list[int] = []

    async def server(messages: list[ModelMessage], info: AgentInfo) -> AsyncIterator[str]:
        sent.append(0)
        if len(sent) > 1:
            yield json.dumps({"image": "redis:7"})
            return
        yield '{"image": "redis:latest'
        for n in range(10_000):  # a loop with a twist: no exact repeat to catch
            sent[-1] += 1
            yield f"-slim-alpine3.{n}-py3.8.{n}"

    settings = settings_for(tmp_path, LOCAL_URL)
    streaming = FunctionModel(stream_function=server, model_name="stand-in")
    completer = PydanticAICompleter(settings, model=streaming, stream=True)
    project = project_of(tmp_path, named := Named(name="cache"))

    report = complete_project(project, settings, completer=completer)

    assert sent[0] < 20  # the schema allows ~150 characters, not 10,000 chunks
    assert len(sent) == 2 and named.image == "redis:7"
    assert report.resources[0].output_mode == "native"


@pytest.mark.parametrize(("base_url", "calmer"), [(LOCAL_URL, True), (HOSTED_URL, False)])
def test_a_retry_on_a_local_server_asks_for_less_repetition(tmp_path, base_url, calmer):
    seen: list[dict[str, object]] = []

    def answer(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(dict(info.model_settings or {}))
        port = 0 if len(seen) == 1 else 6379  # the first one is out of range: retried
        return ModelResponse(parts=[TextPart(json.dumps({"image": "redis:7", "port": port}))])

    settings = settings_for(tmp_path, base_url, output_mode="auto")
    completer = PydanticAICompleter(settings, model=FunctionModel(answer, model_name="m"))
    project = project_of(tmp_path, service := Service(name="cache"))
    mode = "native" if base_url == LOCAL_URL else "tool"
    if mode == "tool":  # a hosted server starts with tool calls: answer as one
        completer = PydanticAICompleter(
            settings,
            model=FunctionModel(
                lambda m, i: ModelResponse(
                    parts=[ToolCallPart("fill_fields", answer(m, i).parts[0].content)]
                ),
                model_name="m",
            ),
        )

    complete_project(project, settings, completer=completer)

    assert service.port == 6379 and len(seen) == 2
    assert "frequency_penalty" not in seen[0]
    assert (seen[1].get("frequency_penalty") == ANTI_REPETITION["frequency_penalty"]) is calmer
    assert "max_tokens" not in seen[1]  # no runaway: the answer's length was fair
