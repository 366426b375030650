"""Core's pydantic-ai completer over real HTTP, against a stand-in OpenAI-compatible
server on localhost: what goes on the wire in each output mode, the key in the header
(and nowhere else), and the errors a user sees when the server fails."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pydantic_ai.models
import pytest
from pydantic import Field

from clockwork import Resource
from clockwork.completion import CompletionError, complete_project
from clockwork.completion_testing import project_of
from clockwork.settings import Settings
from clockwork.testing import plugin_host

API_KEY = "sk-wire-test-SECRET-77"
ANSWER = {"image": "redis:7", "port": 6379}


class Service(Resource):
    image: str | None = Field(None, description="Container image with a tag.")
    port: int | None = Field(None, ge=1, le=65535)


@dataclass
class StandInServer:
    """Answers /chat/completions like an OpenAI-compatible server; records requests."""

    status: int = 200
    refuse_json_schema: bool = False  # as a server without structured output answers
    requests: list[dict[str, Any]] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)

    def status_for(self, request: dict[str, Any]) -> int:
        wants_schema = request.get("response_format", {}).get("type") == "json_schema"
        return 400 if self.refuse_json_schema and wants_schema else self.status

    def reply(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.status_for(request) == 400:
            return {"error": {"message": "response_format is not supported", "type": "bad"}}
        if self.status != 200:  # an error body that echoes the key, as some proxies do
            return {"error": {"message": f"invalid key {API_KEY}", "type": "auth"}}
        tools = [tool["function"]["name"] for tool in request.get("tools", [])]
        message: dict[str, Any] = {"role": "assistant", "content": json.dumps(ANSWER)}
        finish = "stop"
        if "fill_fields" in tools:
            message = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "fill_fields", "arguments": json.dumps(ANSWER)},
                    }
                ],
            }
            finish = "tool_calls"
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": request["model"],
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
        }


def handler_for(server: StandInServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's naming)
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            server.requests.append(body)
            server.headers.append({k.lower(): v for k, v in self.headers.items()})
            status, reply = server.status_for(body), server.reply(body)
            streamed = body.get("stream") and status == 200
            payload = (as_events(reply) if streamed else json.dumps(reply)).encode()
            self.send_response(status)
            self.send_header(
                "Content-Type", "text/event-stream" if streamed else "application/json"
            )
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


def as_events(reply: dict[str, Any]) -> str:
    """A chat completion as server-sent events: one chunk with the whole message."""
    choice = reply["choices"][0]
    message = dict(choice["message"])
    for call in message.get("tool_calls") or []:
        call["index"] = 0
    chunk = {
        **reply,
        "object": "chat.completion.chunk",
        "choices": [{"index": 0, "delta": message, "finish_reason": choice["finish_reason"]}],
    }
    return f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n"


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[StandInServer, str]]:
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)  # localhost only
    stand_in = StandInServer()
    http = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(stand_in))
    thread = threading.Thread(target=http.serve_forever, daemon=True)
    thread.start()
    try:
        yield stand_in, f"http://127.0.0.1:{http.server_address[1]}/v1"
    finally:
        http.shutdown()
        http.server_close()


def settings_for(base_url: str, tmp_path, **changes: Any) -> Settings:
    return Settings(
        base_url=base_url,
        api_key=API_KEY,
        model="small-model",
        cache_dir=tmp_path / "cache",
        _env_file=None,
        **changes,
    )


@pytest.mark.parametrize("mode", ["tool", "native", "prompted"])
def test_each_output_mode_completes_over_http(server, tmp_path, clean_env, mode):
    stand_in, base_url = server
    cache = Service(name="cache", description="Redis in front of the shop's database")

    with plugin_host():
        report = complete_project(
            project_of(tmp_path, cache), settings_for(base_url, tmp_path, output_mode=mode)
        )

    assert (cache.image, cache.port) == ("redis:7", 6379)
    assert report.model_calls == 1
    [request] = stand_in.requests
    assert request["model"] == "small-model"
    sent = json.dumps(request)
    assert "Redis in front of the shop's database" in sent
    assert API_KEY not in sent  # the key travels in the header only
    assert stand_in.headers[0]["authorization"] == f"Bearer {API_KEY}"
    if mode == "native":
        assert request["response_format"]["type"] == "json_schema"
        schema = request["response_format"]["json_schema"]["schema"]
        assert set(schema["properties"]) == {"image", "port"}
    elif mode == "tool":
        assert [tool["function"]["name"] for tool in request["tools"]] == ["fill_fields"]
    else:  # prompted: the schema is in the instructions, the answer plain JSON
        assert "tools" not in request
        assert request.get("response_format", {}).get("type") != "json_schema"
        assert "compatible with this schema" in sent


def test_auto_mode_streams_and_moves_on_when_the_server_refuses_json_schema(
    server, tmp_path, clean_env
):
    stand_in, base_url = server
    stand_in.refuse_json_schema = True
    service = Service(name="cache")

    with plugin_host():
        report = complete_project(project_of(tmp_path, service), settings_for(base_url, tmp_path))

    native, prompted = stand_in.requests  # one refused native request, then prompted
    assert native["response_format"]["type"] == "json_schema"
    assert prompted.get("stream") is True
    assert prompted.get("response_format", {}).get("type") != "json_schema"
    assert (service.image, service.port) == ("redis:7", 6379)
    assert report.resources[0].output_mode == "prompted"
    assert report.output_mode == {"configured": "auto", "remembered": "prompted"}


def test_a_server_error_names_the_resource_and_never_shows_the_key(server, tmp_path, clean_env):
    stand_in, base_url = server
    stand_in.status = 401

    with plugin_host(), pytest.raises(CompletionError) as caught:
        complete_project(
            project_of(tmp_path, Service(name="cache")), settings_for(base_url, tmp_path)
        )

    message = str(caught.value)
    assert "Service 'cache'" in message and "image, port" in message
    assert API_KEY not in message
    assert "***" in message  # the echoed key, masked


def test_an_unreachable_server_is_a_clear_error(tmp_path, clean_env, monkeypatch):
    monkeypatch.setattr(pydantic_ai.models, "ALLOW_MODEL_REQUESTS", True)
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as probe:
        free_port = probe.server_address[1]  # closed again: nothing listens there
    settings = settings_for(f"http://127.0.0.1:{free_port}/v1", tmp_path, completion_timeout=20)

    with plugin_host(), pytest.raises(CompletionError) as caught:
        complete_project(project_of(tmp_path, Service(name="cache")), settings)

    assert f"at http://127.0.0.1:{free_port}/v1 failed" in str(caught.value)
    assert API_KEY not in str(caught.value)
