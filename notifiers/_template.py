"""A webhook channel's body template: Jinja2 in its immutable sandbox, rendered to one JSON
document within bounds. Only a channel with a `template` imports this module (and Jinja2).

- The sandbox: no attribute that starts with '_' (no way to Python's internals), no mutation of
  the variables, no `**`, and no `*` that would build a string or list over MAX_RENDER_CHARS.
- Every `{{ … }}` is written JSON-escaped, so page text inside a JSON string's quotes stays that
  string (it cannot close it and add keys); `| tojson` writes a whole JSON value, quotes included.
- A name that is not defined is an error (StrictUndefined), not empty text.
- Bounds: MAX_RENDER_SECONDS of rendering (a trace function stops a runaway loop), MAX_RENDER_CHARS
  of text written, and the body (the rendered JSON, minified) at most MAX_RENDERED_BYTES.
"""

from __future__ import annotations

import json
import sys
import time
import traceback
from collections.abc import Mapping
from types import FrameType
from typing import Any

from jinja2 import StrictUndefined, TemplateSyntaxError, Undefined, pass_eval_context
from jinja2.filters import do_tojson
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment, SecurityError
from markupsafe import Markup

from bot.text import one_line

from ._http import json_bytes

MAX_RENDER_SECONDS = 1.0
MAX_RENDER_CHARS = 1_000_000
# Room for everything the variables hold at their caps (the default body's bound and the
# message's fields) with some to spare; a template that repeats them may exceed it.
MAX_RENDERED_BYTES = 131_072
_MAX_PROBLEM_CHARS = 300  # an error message quotes little of what the template computed
_SOURCE = "<template>"  # the file name Jinja gives the template's frames


class TemplateProblem(ValueError):
    """A template that does not compile, fails to render, or renders no JSON within the bounds.
    The message is one line, with the template's line where Jinja knows it."""


class _OutOfTime(BaseException):
    """Raised into the rendering frames at the deadline. A BaseException, so that no `except
    Exception` on the way (Jinja has some) takes it for the template's own error."""


class _Environment(ImmutableSandboxedEnvironment):
    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "**":
            raise SecurityError("the power operator ** is not available in a template")
        sequence, times = (left, right) if isinstance(right, int) else (right, left)
        repeats = isinstance(sequence, (str, list, tuple)) and isinstance(times, int)
        if repeats and len(sequence) * times > MAX_RENDER_CHARS:
            raise SecurityError(f"a repetition over {MAX_RENDER_CHARS:,} items")
        return super().call_binop(context, operator, left, right)


def _json_escaped(value: object) -> str:
    """What `{{ value }}` writes: a string's JSON escapes without its quotes (tojson's Markup as
    is); None writes nothing."""
    if isinstance(value, Markup):
        return value
    if value is None:
        return ""
    return json.dumps(str(value), ensure_ascii=False)[1:-1]


@pass_eval_context
def _tojson(context: EvalContext, value: Any, indent: int | None = None) -> Markup:
    """Jinja's tojson, but a misspelt name says so ('dict object' has no attribute 'titel'),
    not that an Undefined is not JSON serializable."""
    if isinstance(value, Undefined):
        value._fail_with_undefined_error()
    return do_tojson(context, value, indent)


_ENVIRONMENT = _Environment(undefined=StrictUndefined, autoescape=False, finalize=_json_escaped)
_ENVIRONMENT.filters["tojson"] = _tojson


class BodyTemplate:
    """One compiled template; `render` gives the request body."""

    def __init__(self, source: str) -> None:
        try:
            self._template = _ENVIRONMENT.from_string(source)
        except TemplateSyntaxError as exc:
            raise TemplateProblem(f"line {exc.lineno}: {_problem(exc.message or str(exc))}") from None

    def render(self, variables: Mapping[str, object]) -> bytes:
        """The body: the rendered text, which must be one JSON value, minified and UTF-8.
        Blocks for up to MAX_RENDER_SECONDS: call it off the event loop."""
        return _json_body(self._text(variables))

    def _text(self, variables: Mapping[str, object]) -> str:
        deadline = time.monotonic() + MAX_RENDER_SECONDS

        def trace(frame: FrameType, event: str, arg: object) -> Any:
            if time.monotonic() > deadline:
                raise _OutOfTime
            return trace

        chunks: list[str] = []
        written = 0
        previous = sys.gettrace()
        sys.settrace(trace)  # this thread only
        try:
            for chunk in self._template.generate(variables):
                written += len(chunk)
                if written > MAX_RENDER_CHARS:
                    raise TemplateProblem(f"renders over {MAX_RENDER_CHARS:,} characters")
                chunks.append(chunk)
        except _OutOfTime:
            raise TemplateProblem(f"took over {MAX_RENDER_SECONDS:g} s to render") from None
        except TemplateProblem:
            raise
        except Exception as exc:  # the template's own code failed: a sandbox refusal, an undefined name, a TypeError
            raise TemplateProblem(_render_problem(exc)) from None
        finally:
            sys.settrace(previous)
        return "".join(chunks)


def _json_body(text: str) -> bytes:
    try:
        document = json.loads(text, object_pairs_hook=_no_duplicate_keys, parse_constant=_no_constant,
                              parse_float=_finite)
    except json.JSONDecodeError as exc:  # where in the body, which is what the template wrote
        raise TemplateProblem(f"the rendered body is not JSON: {exc.msg} at its line {exc.lineno}, "
                              f"column {exc.colno}") from None
    except ValueError as exc:  # the hooks' own
        raise TemplateProblem(f"the rendered body is not JSON: {exc}") from None
    body = json_bytes(document)
    if len(body) > MAX_RENDERED_BYTES:
        raise TemplateProblem(f"the rendered body is {len(body):,} bytes, over the {MAX_RENDERED_BYTES:,}-byte limit")
    return body


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for key, value in pairs:
        if key in document:
            raise ValueError(f"the key {key[:40]!r} appears twice in one object")
        document[key] = value
    return document


def _no_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite(text: str) -> float:
    number = float(text)
    if number in (float("inf"), float("-inf")):
        raise ValueError(f"the number {text[:40]} is too large")
    return number


def _render_problem(exc: Exception) -> str:
    """'line 3: 'dict object' has no attribute 'titel'': Jinja rewrites a failure's traceback to
    the template's lines."""
    lines = [frame.lineno for frame in traceback.extract_tb(exc.__traceback__) if frame.filename == _SOURCE]
    where = f"line {lines[-1]}: " if lines else ""
    return where + _problem(str(exc) or type(exc).__name__)


def _problem(text: str) -> str:
    text = one_line(text)
    return text if len(text) <= _MAX_PROBLEM_CHARS else text[: _MAX_PROBLEM_CHARS - 1] + "…"
