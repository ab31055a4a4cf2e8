"""Jinja2's immutable sandbox with a budget, for templates a device sent us (Home Assistant
discovery's `value_template`): time, the size of every value made, and `range` are bounded.

The sandbox keeps a template from reaching Python's internals but not from spending: a nested
loop takes the gateway's CPU, `value * 60000` its memory. Here every operator, call, filter and
`~` that can grow a value is checked before (what it would make) or after (what it made, bounded
by what went in), and a trace function stops a render that runs past its time.
"""

from __future__ import annotations

import functools
import json
import math
import re
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from jinja2 import Template
from jinja2.compiler import CodeGenerator, Frame
from jinja2.nodes import Concat
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment

# A value template takes microseconds; this much of the thread's CPU time (not wall time, which a
# busy machine stretches) means a loop that is not converting a value.
RENDER_TIME_S = 0.25
# The clock is read every this many trace events (each a microsecond or so of template code).
CLOCK_EVERY = 64
# Characters of a string (items of a list, bytes of an int) any step may make: four times the
# largest payload, ample for picking a number out of JSON.
MAX_SIZE = 65_536
# Loops a template may count: a value template has no business with more.
MAX_RANGE = 1_000
# A format width or precision this long (six digits) asks for a string beyond MAX_SIZE.
_HUGE_FORMAT = re.compile(r"\d{6,}")
_TEMPLATE_FILE = "<template>"


class TemplateBudgetExceeded(Exception):
    """A render went past its time or size budget."""


class TemplateRefused(Exception):
    """A device's template did not compile, failed on a payload or ran past its budget."""

    def __init__(self, message: str, *, over_budget: bool = False) -> None:
        super().__init__(message)
        self.over_budget = over_budget


def _size(value: Any) -> int:
    """Roughly what printing the value makes: a list of long strings is as long as they are."""
    if isinstance(value, str | bytes):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset):
        return len(value) + sum(_size(item) for item in value) if len(value) <= MAX_SIZE else len(value)
    if isinstance(value, dict):
        return len(value) + sum(_size(k) + _size(v) for k, v in value.items()) if len(value) <= MAX_SIZE else len(value)
    if isinstance(value, int):
        return value.bit_length() // 8
    return 0


def checked(value: Any) -> Any:
    if _size(value) > MAX_SIZE:
        raise TemplateBudgetExceeded(f"a value of {_size(value)} exceeds the template size budget")
    return value


def _check_arguments(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    """Widths and counts that would ask for more than the budget up front."""
    for arg in (*args, *kwargs.values()):
        if isinstance(arg, int) and abs(arg) > MAX_SIZE:
            raise TemplateBudgetExceeded(f"argument {arg} exceeds the template size budget")


def _check_format(pattern: Any) -> None:
    if isinstance(pattern, str) and _HUGE_FORMAT.search(pattern):
        raise TemplateBudgetExceeded("format width exceeds the template size budget")


def _replaced_size(text: str, old: str, new: str) -> int:
    return len(text) + (text.count(old) if old else len(text) + 1) * len(new)


def bounded_range(*args: int) -> range:
    numbers = range(*args)
    if len(numbers) > MAX_RANGE:
        raise TemplateBudgetExceeded(f"range of {len(numbers)} exceeds {MAX_RANGE}")
    return numbers


def _budgeted_filter(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(function)  # keeps jinja's pass_context/pass_eval_context marks
    def run(*args: Any, **kwargs: Any) -> Any:
        _check_arguments(args, kwargs)
        strings = [a for a in args if isinstance(a, str)]
        if name == "format" and strings:
            _check_format(strings[0])
        if name == "replace" and len(strings) >= 3 and _replaced_size(*strings[:3]) > MAX_SIZE:
            raise TemplateBudgetExceeded("replace would exceed the template size budget")
        return checked(function(*args, **kwargs))

    return run


class _BudgetedCodeGenerator(CodeGenerator):
    def visit_Concat(self, node: Concat, frame: Frame) -> None:
        # `a ~ b` compiles to a join of its operands; each operand is within the budget, so the
        # join is at most a few times it: checked once made.
        self.write("environment.checked_value(")
        super().visit_Concat(node, frame)
        self.write(")")


class BudgetedEnvironment(ImmutableSandboxedEnvironment):
    code_generator_class = _BudgetedCodeGenerator
    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self) -> None:
        super().__init__(autoescape=False)
        self.globals["range"] = bounded_range
        self.filters = {name: _budgeted_filter(name, f) for name, f in self.filters.items()}

    def checked_value(self, value: Any) -> Any:
        return checked(value)

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        if operator == "*":
            for sequence, times in ((left, right), (right, left)):
                if isinstance(times, int) and _size(sequence) * abs(times) > MAX_SIZE and _size(sequence):
                    raise TemplateBudgetExceeded("repetition exceeds the template size budget")
        elif operator == "**" and isinstance(left, int) and isinstance(right, int):
            if left.bit_length() * abs(right) > MAX_SIZE * 8:
                raise TemplateBudgetExceeded("power exceeds the template size budget")
        elif operator == "%" and isinstance(left, str):
            _check_format(left)
            _check_arguments(right if isinstance(right, tuple) else (right,), {})
        return checked(super().call_binop(context, operator, left, right))

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        _check_arguments(args, kwargs)
        # The sandbox hands str.format out wrapped; the string is the wrapped method's owner.
        owner = getattr(getattr(__obj, "__wrapped__", __obj), "__self__", None)
        if isinstance(owner, str):
            if getattr(__obj, "__name__", "") in ("format", "format_map"):
                _check_format(owner)
            strings = [a for a in args if isinstance(a, str)]
            if getattr(__obj, "__name__", "") == "replace" and len(strings) >= 2:
                if _replaced_size(owner, *strings[:2]) > MAX_SIZE:
                    raise TemplateBudgetExceeded("replace would exceed the template size budget")
        return checked(super().call(__context, __obj, *args, **kwargs))

    def render(self, template: Template, **values: Any) -> str:
        """The template's output, or TemplateBudgetExceeded once it runs past RENDER_TIME_S or
        makes anything (its output included) larger than MAX_SIZE."""
        deadline = time.thread_time() + RENDER_TIME_S
        events = 0

        def trace(frame: FrameType, _event: str, _arg: Any) -> Any:
            nonlocal events
            events += 1
            if events % CLOCK_EVERY == 0 and time.thread_time() > deadline:
                raise TemplateBudgetExceeded(f"render took more than {RENDER_TIME_S}s of CPU")
            # Line events only in the template's own code, where its loops run.
            return trace if frame.f_code.co_filename == _TEMPLATE_FILE else None

        parts: list[str] = []
        length = 0
        previous = sys.gettrace()
        sys.settrace(trace)
        try:
            for part in template.generate(**values):
                length += len(part)
                if length > MAX_SIZE:
                    raise TemplateBudgetExceeded(f"output exceeds {MAX_SIZE} characters")
                parts.append(part)
        finally:
            sys.settrace(previous)
        return "".join(parts)


def render_payload(env: BudgetedEnvironment, template: Template, text: str) -> str:
    """A Home Assistant value template on a payload, as Home Assistant renders it: `value` is the
    text, `value_json` its JSON (NaN allowed) or None. Raises TemplateRefused, never anything else:
    a template failing on one payload is that payload's fault (the state profile and the command
    encoder both render through here)."""
    try:
        value_json = json.loads(text, parse_constant=lambda _name: math.nan)
    except ValueError:
        value_json = None
    try:
        return env.render(template, value=text, value_json=value_json).strip()
    except TemplateBudgetExceeded as error:
        raise TemplateRefused(str(error), over_budget=True) from None
    except Exception as error:  # noqa: BLE001 - see the docstring
        raise TemplateRefused(f"{type(error).__name__}: {str(error)[:160]}") from None
