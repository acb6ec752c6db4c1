"""Validating statement options and `on` handlers against actions.py.

One function per concern, all driven by the Option/Handler specs, so a new
option is a line in the table rather than code here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from . import ast as A
from .actions import Action, Handler, Kind, Option
from .diagnostics import Span
from .exprcheck import Scope, infer
from .patterns import RE2_HELP, PatternError, compile_pattern
from .suggest import did_you_mean
from .timespec import format_duration

_KEYS = re.compile(r"[0-9*#]+")
_VOICE = re.compile(r"[A-Za-z0-9_.\-]+")

STATEMENT_WORDS = frozenset({
    "answer", "play", "say", "collect", "set", "lookup", "goto", "queue", "transfer",
    "record", "ticket", "fax", "hangup", "call", "return", "log", "if", "submit",
})


def check_options(where: str, action: Action, options: list[A.Opt], head: Span,
                  scope: Scope, check_prompt: Callable[[str, Span], None]) -> None:
    """Unknown, duplicate, missing and ill-typed options of one statement or menu."""
    seen: set[str] = set()
    for opt in options:
        if opt.is_field:
            if not action.fields and opt.name in action.options:
                scope.report("E110", opt.span, f"{where}: `{opt.name} = …` is not an option here",
                             f"options are written `{opt.name} VALUE`")
            elif not action.fields:
                _unknown_option(where, action, opt, scope)
            continue
        spec = action.options.get(opt.name)
        if spec is None:
            _unknown_option(where, action, opt, scope)
            continue
        if opt.name in seen:
            scope.report("E202", opt.span, f"{where}: option `{opt.name}` is given twice")
        seen.add(opt.name)
        check_value(where, opt.name, spec, opt.value, opt.span, scope, check_prompt)
    for name, spec in action.options.items():
        if spec.required and name not in seen:
            scope.report("E111", head, f"{where} needs `{name}`",
                         f"add `{name} …`" + (f" ({spec.doc})" if spec.doc else ""))


def _unknown_option(where: str, action: Action, opt: A.Opt, scope: Scope) -> None:
    if opt.name in STATEMENT_WORDS and opt.name not in action.options:
        scope.report("E003", opt.span, f"`{opt.name}` is indented under the line above",
                     "statements in the same block start at the same column")
        return
    hint = did_you_mean(opt.name, action.options)
    if not hint:
        hint = ("it takes no options" if not action.options else
                "options: " + ", ".join(action.options))
    scope.report("E110", opt.span, f"{where}: unknown option `{opt.name}`", hint)


def check_value(where: str, name: str, spec: Option, value, span: Span, scope: Scope,
                check_prompt: Callable[[str, Span], None]) -> None:
    """One option value against its declared kind and bounds."""
    label = f"{where}: `{name}`"
    kind = spec.kind
    if kind is Kind.FLAG:
        if value is not None:
            scope.report("E202", span, f"{label} takes no value", f"write just `{name}`")
        return
    if value is None:
        scope.report("E202", span, f"{label} needs a value", _example(spec))
        return
    if kind is Kind.EXPR:
        infer(value, scope)
        return
    if kind in (Kind.PROMPT, Kind.NAME):
        if not isinstance(value, A.Var):
            scope.report("E202", value.span, f"{label} takes a name", _example(spec))
        elif kind is Kind.PROMPT:
            check_prompt(value.name, value.span)
        return
    if kind is Kind.INT_RANGE and isinstance(value, A.Range):
        _bounds(label, spec, value.lo, value.span, scope)
        _bounds(label, spec, value.hi, value.span, scope)
        if value.lo > value.hi:
            scope.report("E202", value.span, f"{label} range {value.lo}..{value.hi} is empty",
                         f"write `{value.hi}..{value.lo}`")
        return
    if not isinstance(value, A.Literal):
        scope.report("E202", value.span, f"{label} must be a literal value", _example(spec))
        return
    if kind in (Kind.INT, Kind.INT_RANGE):
        if value.kind != "number" or not isinstance(value.value, int):
            scope.report("E202", value.span, f"{label} must be a whole number", _example(spec))
        else:
            _bounds(label, spec, value.value, value.span, scope)
    elif kind is Kind.DURATION:
        if value.kind != "duration":
            scope.report("E202", value.span, f"{label} must be a duration", _example(spec))
        elif value.value is not None:
            _bounds(label, spec, value.value, value.span, scope, duration=True)
    elif kind is Kind.VOICE:
        _voice(label, spec, value, scope)
    elif kind in (Kind.STRING, Kind.KEYS, Kind.REGEX):
        if value.kind != "text":
            scope.report("E202", value.span, f"{label} must be a string", _example(spec))
        elif kind is Kind.KEYS and not _KEYS.fullmatch(value.value):
            scope.report("E202", value.span, f"{label}: `{value.value}` is not phone keys",
                         "keys are 0-9, * and #")
        elif kind is Kind.REGEX:
            try:
                compile_pattern(value.value)
            except PatternError as exc:
                scope.report("E202", value.span, f"{label} is not a pattern RE2 can run: {exc}",
                             RE2_HELP)


def _voice(label: str, spec: Option, value: A.Literal, scope: Scope) -> None:
    """A TTS voice name goes into FreeSWITCH's `speak` arguments: plain characters only."""
    limit = spec.max or 64
    if value.kind != "text":
        scope.report("E202", value.span, f"{label} must be a string", _example(spec))
    elif not _VOICE.fullmatch(value.value) or len(value.value) > limit:
        scope.report("E202", value.span, f"{label}: {value.raw} is not a voice name",
                     f"use 1 to {limit} letters, digits, `_`, `.` or `-`, e.g. `\"xiaoyan\"`")


def _bounds(label: str, spec: Option, n: int, span: Span, scope: Scope,
            duration: bool = False) -> None:
    show = format_duration if duration else str
    if spec.min is not None and n < spec.min:
        scope.report("E202", span, f"{label} is {show(n)}, below the minimum {show(spec.min)}")
    elif spec.max is not None and n > spec.max:
        scope.report("E202", span, f"{label} is {show(n)}, above the maximum {show(spec.max)}")


def _example(spec: Option) -> str:
    return {
        Kind.INT: "e.g. `3`", Kind.INT_RANGE: "e.g. `6` or `8..10`",
        Kind.DURATION: "e.g. `5s`", Kind.STRING: 'e.g. `"text"`', Kind.KEYS: 'e.g. `"#"`',
        Kind.REGEX: 'e.g. `"^1[3-9]"`', Kind.PROMPT: "a prompt key, e.g. `enter_account`",
        Kind.NAME: "a name", Kind.VOICE: 'e.g. `"xiaoyan"`',
    }.get(spec.kind, "")


def check_handlers(where: str, handlers: dict[str, Handler], ons: list[A.On],
                   scope: Scope) -> None:
    """Unknown or duplicate events and their arguments."""
    seen: set[str] = set()
    for on in ons:
        spec = handlers.get(on.event)
        if spec is None:
            hint = did_you_mean(on.event, handlers) or (
                "it has no events" if not handlers else "events: " + ", ".join(handlers))
            scope.report("E112", on.span, f"{where}: unknown event `{on.event}`", hint)
            continue
        if on.event in seen:
            scope.report("E408", on.span, f"{where}: `{on.event}` is handled twice",
                         "the second branch can never run")
        seen.add(on.event)
        if spec.arg is None and on.arg is not None:
            scope.report("E202", on.span, f"{where}: `on {on.event}` takes no value")
        elif spec.arg is not None:
            if on.arg is None:
                if spec.arg_required:
                    scope.report("E202", on.span, f"{where}: `on {on.event}` needs a value",
                                 f"e.g. `on {on.event} 30s -> NODE`")
            else:
                opt = Option(spec.arg, min=1000, max=86_400_000)
                check_value(where, f"on {on.event}", opt, on.arg, on.span, scope,
                            lambda *_: None)
