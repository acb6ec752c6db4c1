"""Static types of expressions: unbound names, unknown fields, type mismatches.

`Scope` knows the flow's variables and their types; `infer` returns an
expression's type and reports what it can prove wrong. Unknown types are
`any` and never reported, so a lookup declared without field types costs
checks, not false alarms. A string literal of 0-9 (`"12345678"`) is digits:
that is how an account number is written in a flow or a test. A variable
set to values of different known types (`mixed`) is `any` too, but
arithmetic on it is reported (E204): on one of its paths it would fail.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import ast as A
from . import vtypes as T
from .actions import SAY_FILTERS
from .catalog import BUILTIN_FUNCTIONS, CALENDAR, SAME_TYPE_AS_VALUE, Catalog, FunctionSig, Param
from .diagnostics import Diagnostic, error
from .fmt import format_expr
from .suggest import did_you_mean

_ARITH = {"-", "*", "/", "%"}
_ORDER = {"<", "<=", ">", ">="}
_ASCII_DIGITS = re.compile(r"[0-9]+")


@dataclass
class Scope:
    catalog: Catalog
    variables: dict[str, T.Type]
    calendars: set[str]
    diags: list[Diagnostic] = field(default_factory=list)
    mixed: dict[str, tuple[T.Type, ...]] = field(default_factory=dict)  # name -> its types

    def report(self, code: str, span, message: str, help: str = "") -> None:
        self.diags.append(error(code, span, message, help))

    def function(self, name: str) -> FunctionSig | None:
        return BUILTIN_FUNCTIONS.get(name) or self.catalog.functions.get(name)


def _literal_type(lit: A.Literal) -> T.Type:
    if lit.kind == "text" and _ASCII_DIGITS.fullmatch(str(lit.value)):
        return T.DIGITS   # "12345678": an account number, keys, a code
    return {"number": T.NUMBER, "text": T.TEXT, "bool": T.BOOL, "none": T.NONE,
            "duration": T.DURATION}[lit.kind]


def source(expr: A.Expr) -> str:
    """An expression as the author would write it, for a help line."""
    return format_expr(expr)


def conversion(expr: A.Expr, actual: T.Type, wanted: T.Type | tuple) -> str:
    """The built-in that turns `actual` into `wanted`, applied to `expr`, or ""."""
    wanted_all = wanted if isinstance(wanted, tuple) else (wanted,)
    if actual in (T.ANY, T.NONE) or isinstance(actual, T.RecordType):
        return ""
    for want, func, accepts in ((T.NUMBER, "number", (T.DIGITS, T.TEXT)),
                                (T.DIGITS, "digits", (T.NUMBER, T.TEXT)),
                                (T.TEXT, "text", (T.NUMBER, T.BOOL, T.DATE, T.TIME,
                                                  T.DATETIME))):
        if want in wanted_all and actual in accepts:
            return f"{func}({source(expr)})"
    return ""


def _filter_help(expr: A.Expr, actual: T.Type, name: str, accepts: tuple) -> str:
    """Digits given to a number filter are a code more often than an amount: offer both."""
    converted = conversion(expr, actual, accepts)
    if not converted:
        return ""
    if T.is_texty(actual):
        return (f"to read it one digit at a time write `{{{source(expr)}|digits}}`; "
                f"as a number `{{{converted}|{name}}}`")
    return f"write `{{{converted}|{name}}}`"


def _conversion_help(expr: A.Expr, actual: T.Type, wanted: T.Type | tuple) -> str:
    converted = conversion(expr, actual, wanted)
    return f"write `{converted}`" if converted else ""


def infer(expr: A.Expr, scope: Scope) -> T.Type:
    """The type of `expr`; problems go to scope.diags."""
    match expr:
        case A.Literal():
            return _literal_type(expr)
        case A.Template():
            check_template(expr, scope)
            return T.TEXT
        case A.Var(name=name):
            if name in scope.variables:
                return scope.variables[name]
            if name in scope.calendars:
                scope.report("E105", expr.span, f"`{name}` is a calendar, not a value",
                             f"write `open({name})` to test its hours")
            else:
                scope.report("E105", expr.span, f"unbound variable `{name}`",
                             did_you_mean(name, scope.variables)
                             or "set it first with `set`, `collect` or `lookup`")
            return T.ANY
        case A.FieldGet():
            return _field(expr, scope)
        case A.Call():
            return _call(expr, scope)
        case A.Unary(op="not"):
            infer(expr.operand, scope)
            return T.BOOL
        case A.Unary(op="-"):
            _not_mixed(expr.operand, "-", scope)
            _want(expr.operand, T.NUMBER, scope, "`-`")
            return T.NUMBER
        case A.Binary():
            return _binary(expr, scope)
        case A.ListExpr(items=items):
            for item in items:
                infer(item, scope)
            return T.LIST
        case A.RecordExpr(items=items):
            return T.RecordType("record", {k: infer(v, scope) for k, v in items})
    return T.ANY


def _want(expr: A.Expr, wanted: T.Type | tuple, scope: Scope, where: str) -> T.Type:
    actual = infer(expr, scope)
    if not T.compatible(actual, wanted):
        names = wanted if isinstance(wanted, tuple) else (wanted,)
        scope.report("E201", expr.span,
                     f"{where} needs {' or '.join(T.describe(w) for w in names)}, "
                     f"but this is {T.describe(actual)}", _conversion_help(expr, actual, wanted))
    return actual


def _field(expr: A.FieldGet, scope: Scope) -> T.Type:
    obj = infer(expr.obj, scope)
    if isinstance(obj, T.RecordType):
        if not obj.fields:
            return T.ANY
        if expr.name in obj.fields:
            return obj.fields[expr.name]
        scope.report("E106", expr.name_span or expr.span,
                     f"{obj} has no field `{expr.name}`",
                     did_you_mean(expr.name, obj.fields)
                     or "fields: " + ", ".join(sorted(obj.fields)))
        return T.ANY
    if obj not in (T.ANY,):
        scope.report("E201", expr.span, f"`.{expr.name}` needs a record, "
                     f"but this is {T.describe(obj)}")
    return T.ANY


def check_args(name: str, params: tuple[Param, ...], args: list[A.Expr],
               kwargs: list[A.KwArg], span, scope: Scope) -> None:
    """Match positional and named arguments to declared parameters."""
    by_name = {p.name: p for p in params}
    given: dict[str, A.Expr] = {}
    if len(args) > len(params):
        scope.report("E203", args[len(params)].span,
                     f"`{name}` takes {len(params)} argument{'s' * (len(params) != 1)}, "
                     f"{len(args) + len(kwargs)} given")
    for param, arg in zip(params, args, strict=False):
        given[param.name] = arg
    for kw in kwargs:
        if kw.name not in by_name:
            scope.report("E203", kw.span, f"`{name}` has no parameter `{kw.name}`",
                         did_you_mean(kw.name, by_name))
            infer(kw.value, scope)
            continue
        if kw.name in given:
            scope.report("E203", kw.span, f"`{kw.name}` is given twice")
        given[kw.name] = kw.value
    for param in params:
        arg = given.get(param.name)
        if arg is None:
            if param.required:
                scope.report("E203", span, f"`{name}` needs `{param.name}`",
                             f"call it as `{name}({', '.join(p.name for p in params)})`")
            continue
        if param.type == CALENDAR:
            if not isinstance(arg, A.Var) or arg.name not in scope.calendars:
                shown = arg.name if isinstance(arg, A.Var) else "this"
                scope.report("E108", arg.span, f"unknown calendar `{shown}`",
                             did_you_mean(shown, scope.calendars)
                             or "declare it in the header: `hours NAME: mon-fri 08:00-18:00`")
            continue
        _want(arg, param.type, scope, f"`{name}` parameter `{param.name}`")


def _call(expr: A.Call, scope: Scope) -> T.Type:
    sig = scope.function(expr.name)
    if sig is None:
        known = set(BUILTIN_FUNCTIONS) | set(scope.catalog.functions)
        hint = did_you_mean(expr.name, known)
        if expr.name in scope.catalog.lookups:
            hint = f"`{expr.name}` is a lookup: use `lookup x = {expr.name}(...)`"
        scope.report("E104", expr.span, f"unknown function `{expr.name}`", hint)
        for a in expr.args:
            infer(a, scope)
        return T.ANY
    check_args(expr.name, sig.params, expr.args, expr.kwargs, expr.span, scope)
    if expr.name in SAME_TYPE_AS_VALUE and expr.name in BUILTIN_FUNCTIONS and expr.args:
        value = infer(expr.args[0], scope)
        return value if value in (T.DIGITS, T.ANY) else sig.returns
    return sig.returns


def _binary(expr: A.Binary, scope: Scope) -> T.Type:
    op = expr.op
    if op in ("and", "or"):
        infer(expr.left, scope)
        infer(expr.right, scope)
        return T.BOOL
    left, right = infer(expr.left, scope), infer(expr.right, scope)
    if op == "+" or op in _ARITH:
        _not_mixed(expr.left, op, scope)
        _not_mixed(expr.right, op, scope)
    if op in ("/", "%") and isinstance(expr.right, A.Literal) and expr.right.kind == "number" \
            and expr.right.value == 0:
        scope.report("E205", expr.right.span, f"`{op}` by zero can never be computed")
    if op in ("in", "not in"):
        if not T.compatible(right, (T.LIST, T.TEXT)):
            scope.report("E201", expr.right.span,
                         f"`{op}` needs a list or text on the right, "
                         f"but this is {T.describe(right)}")
        return T.BOOL
    if op == "+":
        if T.ANY in (left, right):
            return T.ANY
        if left == right == T.NUMBER or left == right == T.DURATION:
            return left
        if T.is_texty(left) and T.is_texty(right):
            return T.TEXT
        scope.report("E201", expr.span, f"cannot add {T.describe(left)} and {T.describe(right)}",
                     _add_help(expr, left, right))
        return T.ANY
    if op in _ARITH:
        for side, t in ((expr.left, left), (expr.right, right)):
            if not T.compatible(t, (T.NUMBER, T.DURATION)):
                scope.report("E201", side.span,
                             f"`{op}` needs numbers, but this is {T.describe(t)}")
        return T.NUMBER if T.NUMBER in (left, right) else T.ANY
    _comparison(expr, left, right, scope)
    return T.BOOL


def _add_help(expr: A.Binary, left: T.Type, right: T.Type) -> str:
    """Name the conversion that makes `a + b` work: to add numbers, or to join texts."""
    sides = ((expr.left, left), (expr.right, right))
    if {left, right} <= {T.NUMBER, T.DIGITS, T.TEXT} and T.NUMBER in (left, right):
        added = " + ".join(conversion(e, t, T.NUMBER) or source(e) for e, t in sides)
        joined = " + ".join(conversion(e, t, T.TEXT) or source(e) for e, t in sides)
        return f"to add them as numbers write `{added}`; to join them as text `{joined}`"
    return "use a string with `{…}` to put values into text"


def _comparison(expr: A.Binary, left: T.Type, right: T.Type, scope: Scope) -> None:
    """Ordering digits against digits or a number is numeric; `==` compares as written.

    So `reading > c.last_reading` and `reading > "1000"` compare values,
    while `account == "0123"` stays exact (leading zeros count) and digits
    `==` a number is refused: is it a code or a quantity?
    """
    op = expr.op
    if op in _ORDER and {left, right} <= {T.DIGITS, T.NUMBER} and T.DIGITS in (left, right):
        return
    if not _comparable(left, right):
        message = (f"comparing {T.describe(left)} with {T.describe(right)} is never true"
                   if op in ("==", "!=") else
                   f"`{op}` cannot order {T.describe(left)} against {T.describe(right)}")
        scope.report("E201", expr.span, message, _comparison_help(expr, left, right))
    elif op in _ORDER and not _orderable(left):
        scope.report("E201", expr.span, f"`{op}` cannot order {T.describe(left)}")


def _comparison_help(expr: A.Binary, left: T.Type, right: T.Type) -> str:
    """For text against a number: the comparison written with `number(…)` (or as a code)."""
    if T.NUMBER not in (left, right) or not (T.is_texty(left) or T.is_texty(right)):
        return ""
    as_numbers = " ".join((conversion(expr.left, left, T.NUMBER) or source(expr.left), expr.op,
                           conversion(expr.right, right, T.NUMBER) or source(expr.right)))
    if expr.op in _ORDER or T.DIGITS not in (left, right):
        return f"compare them as numbers: `{as_numbers}`"
    number = expr.right if right == T.NUMBER else expr.left
    if isinstance(number, A.Literal) and isinstance(number.value, int):
        digits = expr.left if number is expr.right else expr.right
        code = f'{source(digits)} {expr.op} "{number.raw}"'
        return f"digits compare exactly as typed: write `{code}` for a code, " \
               f"or `{as_numbers}` for a quantity"
    return f"digits compare exactly as typed; as numbers: `{as_numbers}`"


def _not_mixed(side: A.Expr, op: str, scope: Scope) -> None:
    """E204 when `side` is a variable set to values of different types."""
    if isinstance(side, A.Var) and side.name in scope.mixed:
        kinds = " and to ".join(T.describe(t) for t in scope.mixed[side.name])
        scope.report("E204", side.span,
                     f"`{side.name}` is set to {kinds}: `{op}` fails on one of them",
                     "keep one type per variable: use another variable for the other values")


def _orderable(t: T.Type) -> bool:
    return t in (T.ANY, T.NUMBER, T.DURATION, T.DATE, T.DATETIME, T.TIME, T.TEXT, T.DIGITS)


def _comparable(a: T.Type, b: T.Type) -> bool:
    if T.ANY in (a, b) or T.NONE in (a, b):
        return True
    if T.is_texty(a) and T.is_texty(b):
        return True
    if {a, b} <= {T.DATE, T.DATETIME}:
        return True
    if isinstance(a, T.RecordType) and isinstance(b, T.RecordType):
        return True
    return a == b


def check_template(tpl: A.Template, scope: Scope) -> None:
    for part in tpl.parts:
        if isinstance(part, str):
            continue
        value = infer(part.expr, scope)
        for flt in part.filters:
            accepts = SAY_FILTERS.get(flt.name)
            if accepts is None:
                scope.report("E109", flt.span, f"unknown filter `{flt.name}`",
                             did_you_mean(flt.name, SAY_FILTERS)
                             or "filters: " + ", ".join(SAY_FILTERS))
                value = T.ANY
                continue
            if flt.args:
                scope.report("E109", flt.span, f"filter `{flt.name}` takes no arguments",
                             f"write `|{flt.name}`")
            if not T.compatible(value, accepts):
                scope.report("E201", part.expr.span,
                             f"`{flt.name}` needs {' or '.join(T.describe(a) for a in accepts)}, "
                             f"but `{part.raw.split('|')[0].strip()}` is {T.describe(value)}",
                             _filter_help(part.expr, value, flt.name, accepts))
            value = T.TEXT
