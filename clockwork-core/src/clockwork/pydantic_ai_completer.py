"""Core's completer backend `pydantic-ai`: a PydanticAI agent per resource, talking to
any OpenAI-compatible API (CW_BASE_URL, CW_MODEL, CW_API_KEY).

Imported only when a resource needs the model (the builtin plugin's factory imports
it), so CLI start-up never loads pydantic-ai or the OpenAI SDK.

The output mode picks how the model returns its values: `tool` (an output tool call),
`native` (JSON-schema structured output: what small local models handle best) or
`prompted` (the schema in the instructions, plain JSON). With CW_OUTPUT_MODE=auto (the
default) Clockwork tries them in turn (clockwork.output_modes), and the request says
`probing`: a response in the wrong shape then fails at once (clockwork.pydantic_ai_shapes).
"""

from __future__ import annotations

from typing import Any

import pydantic_ai
from pydantic_ai import Agent, ModelRetry, NativeOutput, PromptedOutput, Tool, ToolOutput
from pydantic_ai.exceptions import (
    AgentRunError,
    ModelAPIError,
    ModelHTTPError,
    ModelRequestTimeout,
    UnexpectedModelBehavior,
)
from pydantic_ai.models import Model
from pydantic_ai.usage import RunUsage

from .completer import (
    CompletionFailed,
    CompletionOutcome,
    CompletionRequest,
    OutputModeFailed,
    OutputRejected,
    values_of,
)
from .errors import UsageError
from .output_modes import LOCAL_HOSTS, is_local_url
from .pydantic_ai_shapes import AnswerBudget, ShapeCheckedModel
from .redaction import MASK, redact
from .settings import Settings

# pydantic-ai greets a first run on a terminal with a large banner (and an
# advertisement) on stderr, over Clockwork's own progress lines: never here.
pydantic_ai.BANNER_ENABLED = False

OUTPUT_TOOL_NAME = "fill_fields"
# Status codes of a server refusing a request's shape (a response_format or tools it does
# not support): while probing, the next output mode may work.
MODE_REFUSED_STATUSES = frozenset({400, 422, 501})

__all__ = ["LOCAL_HOSTS", "PydanticAICompleter", "is_local_url", "openai_compatible_model"]


class PydanticAICompleter:
    """Completes one resource per `complete()` call; `model` replaces the configured
    OpenAI-compatible one (tests pass a FunctionModel). `stream`: while probing output
    modes, stream responses, so one in the wrong shape stops at its first chunk
    (default: only the network model, which surely streams)."""

    name = "pydantic-ai"

    def __init__(
        self, settings: Settings, *, model: Model | None = None, stream: bool | None = None
    ):
        self.settings = settings
        self.model = model if model is not None else openai_compatible_model(settings)
        self.stream = model is None if stream is None else stream
        self._secret = settings.api_key.get_secret_value() if settings.api_key else ""

    async def complete(self, request: CompletionRequest) -> CompletionOutcome:
        proposals: list[Any] = []  # what reached the output validator
        agent = self._agent_for(request, proposals)
        usage = RunUsage()  # passed in, so the calls are known even when the run fails
        try:
            result = await agent.run(request.prompt, usage=usage)
        except OutputModeFailed as failure:  # from ShapeCheckedModel, inside a request
            failure.model_calls = usage.requests + 1  # the request it cut short counts too
            raise
        except ModelRequestTimeout:
            raise CompletionFailed(
                f"the model did not answer within {request.timeout:g} s (CW_COMPLETION_TIMEOUT)",
                usage.requests,
            ) from None
        except UnexpectedModelBehavior as error:
            if request.probing and not proposals:  # never one parsed answer in this mode
                raise OutputModeFailed(
                    f"no answer in the {request.output_mode} shape ({self._safe(error)})",
                    usage.requests,
                ) from None
            raise CompletionFailed(
                f"the model gave no valid values in {request.max_retries + 1} attempts "
                f"({self._safe(error)})",
                usage.requests,
            ) from None
        except ModelHTTPError as error:
            if request.probing and error.status_code in MODE_REFUSED_STATUSES:
                raise OutputModeFailed(
                    f"the server refused it ({self._safe(error)})", usage.requests
                ) from None
            raise self._failed(error, usage) from None
        except (ModelAPIError, AgentRunError) as error:
            raise self._failed(error, usage) from None
        return CompletionOutcome(values_of(result.output), usage.requests)

    def _failed(self, error: BaseException, usage: RunUsage) -> CompletionFailed:
        return CompletionFailed(
            f"the model {self.settings.model!r} at {redact(self.settings.base_url)} failed: "
            f"{self._safe(error)}",
            usage.requests,
        )

    def _model_for(self, request: CompletionRequest) -> Model:
        if not request.probing:
            return self.model
        return ShapeCheckedModel(
            self.model,
            request.output_mode,
            stream=self.stream,
            budget=AnswerBudget.of(request.output_type),
            calm_retries=is_local_url(self.settings.base_url),
        )

    def _agent_for(self, request: CompletionRequest, proposals: list[Any]) -> Agent[None, Any]:
        agent: Agent[None, Any] = Agent(
            self._model_for(request),
            name="clockwork-completion",
            output_type=output_spec(request),
            instructions=request.instructions,
            retries={"output": request.max_retries},
            tools=[Tool(function, name=name) for name, function in request.tools.items()],
            # One deadline per model request, enforced by PydanticAI for every model.
            model_settings={"request_timeout": request.timeout},
        )

        @agent.output_validator
        def accept(output: Any) -> Any:
            proposals.append(output)
            try:
                request.accept(values_of(output))
            except OutputRejected as rejection:
                # The model sees why and tries again; never with a secret in the reason.
                raise ModelRetry(redact(str(rejection))) from None
            return output

        return agent

    def _safe(self, error: BaseException) -> str:
        """The error's text, never with the API key (or any remembered secret, or a
        URL's credentials) in it."""
        text = str(error)
        return redact(text.replace(self._secret, MASK) if self._secret else text)


def output_spec(request: CompletionRequest) -> Any:
    output_type = request.output_type
    description = output_type.__doc__
    if request.output_mode == "native":
        return NativeOutput(output_type, name=output_type.__name__, description=description)
    if request.output_mode == "prompted":
        return PromptedOutput(output_type, name=output_type.__name__, description=description)
    return ToolOutput(output_type, name=OUTPUT_TOOL_NAME, description=description)


def openai_compatible_model(settings: Settings) -> Model:
    """The model CW_MODEL at CW_BASE_URL, authenticated with CW_API_KEY."""
    from pydantic_ai.models.openai import OpenAIChatModel
    from pydantic_ai.providers.openai import OpenAIProvider

    api_key = settings.api_key.get_secret_value() if settings.api_key else ""
    if not api_key:
        if not is_local_url(settings.base_url):
            raise UsageError(
                f"CW_API_KEY is not set; the model at {redact(settings.base_url)} needs one "
                "(set it in the environment or in the project's .env)"
            )
        api_key = "not-needed"  # local servers ignore the key; the OpenAI client wants one
    provider = OpenAIProvider(base_url=settings.base_url, api_key=api_key)
    return OpenAIChatModel(settings.model, provider=provider)
