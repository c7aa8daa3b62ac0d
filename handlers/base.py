"""The handler contract shared by light activities and the container worker.

A handler is a function ``(params, ctx) -> output``. ``params`` is an instance of the
handler's own Pydantic model (validated from the rendered node params); the output is a
Pydantic model or plain JSON data. Errors a handler raises are classified:

    HandlerError                  base; ``kind`` names the error, ``retryable`` says what to do
    ├── RetryableError            transient: the node's retry policy applies
    └── NonRetryableError         permanent: the node fails at once (bad input, corrupt file)

Any other exception escaping a handler is treated as retryable with kind ``unexpected``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ValidationError

_SAS_SIGNATURE = re.compile(r"(?i)\b(sig=)[^&\s\"'<>]+")


def redact(text: str) -> str:
    """``text`` with SAS signatures blanked: errors from GDAL quote the signed URLs they read,
    and error messages end up on timelines and in logs."""
    return _SAS_SIGNATURE.sub(r"\1REDACTED", text)


class HandlerError(Exception):
    """A classified handler failure; ``kind`` is matched against `retry.non_retryable`.
    The message is stored with SAS signatures redacted."""

    retryable: bool = True

    def __init__(self, message: str, *, kind: str = "handler_error") -> None:
        message = redact(message)
        super().__init__(message)
        self.kind = kind
        self.message = message


class RetryableError(HandlerError):
    retryable = True


class NonRetryableError(HandlerError):
    retryable = False


class HandlerContext(Protocol):
    """What a running handler may know and do besides computing its output."""

    job_id: str
    node_id: str
    attempt: int
    checkpoint: dict[str, Any] | None

    def save_checkpoint(self, state: dict[str, Any]) -> None: ...

    def report_progress(self, percent: float, message: str = "") -> None: ...


@dataclass
class LocalContext:
    """A context for handlers run in-process (light activities, tests): keeps what it is told."""

    job_id: str = "local"
    node_id: str = "local"
    attempt: int = 1
    checkpoint: dict[str, Any] | None = None
    progress: list[tuple[float, str]] = field(default_factory=list)

    def save_checkpoint(self, state: dict[str, Any]) -> None:
        self.checkpoint = state

    def report_progress(self, percent: float, message: str = "") -> None:
        self.progress.append((percent, message))


HandlerFn = Callable[[Any, HandlerContext], Any]


@dataclass(frozen=True)
class HandlerSpec:
    name: str
    params_model: type[BaseModel]
    fn: HandlerFn
    description: str


class HandlerRegistry:
    """Handlers by name. Workflow validation checks node handlers against `names()`."""

    def __init__(self) -> None:
        self._specs: dict[str, HandlerSpec] = {}

    def register(
        self, name: str, params_model: type[BaseModel]
    ) -> Callable[[HandlerFn], HandlerFn]:
        def decorator(fn: HandlerFn) -> HandlerFn:
            if name in self._specs:
                raise ValueError(f"handler '{name}' is registered twice")
            doc = (fn.__doc__ or "").strip().splitlines()
            self._specs[name] = HandlerSpec(name, params_model, fn, doc[0] if doc else "")
            return fn

        return decorator

    def names(self) -> frozenset[str]:
        return frozenset(self._specs)

    def spec(self, name: str) -> HandlerSpec:
        try:
            return self._specs[name]
        except KeyError:
            known = ", ".join(sorted(self._specs)) or "none"
            raise NonRetryableError(
                f"unknown handler '{name}' (known: {known})", kind="unknown_handler"
            ) from None

    def run(self, name: str, params: dict[str, Any], ctx: HandlerContext) -> Any:
        """Validate ``params`` against the handler's model, run it, return JSON-ready output."""
        spec = self.spec(name)
        try:
            model = spec.params_model.model_validate(params)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in err['loc']) or '<params>'}: {err['msg']}"
                for err in exc.errors()
            )
            raise NonRetryableError(
                f"invalid params for handler '{name}': {problems}", kind="invalid_params"
            ) from exc
        output = spec.fn(model, ctx)
        if isinstance(output, BaseModel):
            return output.model_dump(mode="json")
        return output


registry = HandlerRegistry()
