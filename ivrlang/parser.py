"""Source text to typed AST: reading, indentation, Lark LALR, and parse errors.

Bad input never raises: every problem becomes a Diagnostic with a code, a
position and, where it can be guessed, a fix.
"""

from __future__ import annotations

import codecs
import gc
import hashlib
import os
import re
import stat
import sys
import threading
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import lark
from lark import Lark, Token
from lark.exceptions import (
    LarkError,
    UnexpectedCharacters,
    UnexpectedEOF,
    UnexpectedInput,
    UnexpectedToken,
    VisitError,
)

from . import ast as A
from .diagnostics import Diagnostic, Span, error
from .suggest import closest
from .transform import BadValue, ToAst

MAX_BYTES = 4 * 1024 * 1024
MAX_DEPTH = 40  # indentation levels and bracket depth

_GRAMMAR = Path(__file__).with_name("grammar.lark")


@dataclass
class Source:
    """A flow file's text, normalised (no BOM, LF line ends, final newline)."""

    path: str
    text: str

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")


@dataclass
class ParseResult:
    flow: A.Flow | None
    diagnostics: list[Diagnostic]
    source: Source | None


class _BadIndent(LarkError):
    def __init__(self, line: int, col: int, message: str, code: str = "E003",
                 help: str = "indent each block by the same number of spaces"):
        super().__init__(message)
        self.line, self.col, self.message, self.code = line, col, message, code
        self.help = help


_OPENING = frozenset({"LPAR", "LSQB", "LBRACE"})
_LAYOUT = _OPENING | {"RPAR", "RSQB", "RBRACE", "_NL"}


class Indenter:
    """Postlexer: turns the indentation after each newline into _INDENT/_DEDENT.

    The newline token also swallows whole-line comments, so only the last
    line of it (the next code line's indentation) counts.
    """

    always_accept = ("_NL",)

    def process(self, stream):
        levels = [0]
        token = None
        depth = 0
        for token in stream:
            kind = token.type
            if kind not in _LAYOUT:
                yield token
                continue
            if kind in _OPENING:
                depth += 1
                if depth > MAX_DEPTH:
                    raise _BadIndent(token.line, token.column, "brackets nested too deep", "E008",
                                     "split the expression with `set`")
                yield token
                continue
            if kind != "_NL":
                depth = max(depth - 1, 0)
                yield token
                continue
            yield token
            last = token.value.rsplit("\n", 1)[1]
            if "#" in last:  # a comment on the file's last line
                return self._close(levels, token)
            indent = len(last)
            line = token.line + token.value.count("\n")
            if indent > levels[-1]:
                levels.append(indent)
                if len(levels) > MAX_DEPTH:
                    raise _BadIndent(line, indent + 1, "blocks nested too deep", "E008",
                                     "move the inner part into its own step")
                yield Token.new_borrow_pos("_INDENT", last, token)
            else:
                inner = levels[-1]
                while indent < levels[-1]:
                    inner = levels.pop()
                    yield Token.new_borrow_pos("_DEDENT", last, token)
                if indent != levels[-1]:
                    raise _BadIndent(
                        line, indent + 1,
                        f"this line is indented to column {indent + 1}, which matches no "
                        f"open block (expected column {inner + 1} or {levels[-1] + 1})")
        yield from self._close(levels, token)

    @staticmethod
    def _close(levels, token):
        while len(levels) > 1:
            levels.pop()
            yield Token.new_borrow_pos("_DEDENT", "", token)


_LOCK = threading.RLock()  # the transformer below holds per-parse state


@cache
def _builder() -> ToAst:
    return ToAst(_parse_interp)


@cache
def _lark() -> Lark:
    """The parser, with the AST built during the parse (no parse tree).

    Building it from the grammar takes about as long as checking a flow, so
    the built tables are kept in the user's cache folder (see `_cache_file`).
    """
    grammar = _GRAMMAR.read_text(encoding="utf-8")
    return Lark(
        grammar,
        parser="lalr",
        lexer="contextual",
        postlex=Indenter(),
        start=["start", "interp"],
        maybe_placeholders=True,
        transformer=_builder(),
        cache=_cache_file(grammar),
    )


def _cache_file(grammar: str) -> str | bool:
    """Where Lark keeps the built parser between runs, or False for no cache.

    The name carries a digest of the grammar, Lark's and Python's versions, so
    a changed grammar gets a new file (Lark also checks the digest inside).
    The file is a pickle, so it lives only in a folder of the user's own
    ($XDG_CACHE_HOME or ~/.cache, then switchflow/), never in a shared
    temporary folder; when that folder cannot be made ours and writable, the
    parser is built every time.
    """
    folder = _cache_dir()
    if folder is None:
        return False
    key = f"{grammar}\0{lark.__version__}\0{sys.version}".encode()
    return str(folder / f"grammar-{hashlib.sha256(key).hexdigest()[:20]}.lark")


def _cache_dir() -> Path | None:
    try:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        folder = Path(base) / "switchflow"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        info = folder.stat()
    except (OSError, RuntimeError):          # no home, a file in the way, read-only disk
        return None
    owner = getattr(os, "getuid", None)
    if owner is not None and (info.st_uid != owner() or info.st_mode & 0o022):
        return None                          # someone else could plant a pickle there
    return folder if os.access(folder, os.W_OK | os.X_OK) else None


@cache
def _terminal_display() -> dict[str, str]:
    """Terminal names -> what a person would call them in a message."""
    names = {
        "NAME": "a name", "STRING": "a string", "NUMBER": "a number",
        "DURATION": "a duration", "DATE": "a date", "TIMERANGE": "a time range like 08:00-20:00",
        "DAYS": "days like mon-fri", "LANG": "a language like zh-CN", "TZNAME": "a time zone",
        "LANG_LABEL": "a language and `:` like `en-US:`",
        "_NL": "the end of the line", "_INDENT": "an indented block",
        "_DEDENT": "the end of the block", "$END": "the end of the file",
        "COMPOP": "a comparison", "TILDE": "`~`",
    }
    for t in _lark().terminals:
        if t.name not in names and t.pattern.type == "str":
            names[t.name] = f"`{t.pattern.value}`"
    return names


def keywords() -> set[str]:
    """Every keyword of the grammar (used by tests and suggestions)."""
    return {t.pattern.value for t in _lark().terminals
            if t.pattern.type == "str" and re.fullmatch(r"[a-z_]+", t.pattern.value)}


# ---------------------------------------------------------------- reading


class NotAFlowFile(OSError):
    """The path names a FIFO, a device, a socket or a folder: nothing to read a flow from."""


_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def read_bounded(path: str | Path, limit: int = MAX_BYTES) -> bytes:
    """A regular file's bytes, at most `limit` + 1 of them (enough to tell it is too big).

    Opened without blocking and checked on the open descriptor, so a FIFO or a
    device (`/dev/zero`) is refused at once instead of hanging or reading forever.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            kind = next((what for test, what in _KINDS if test(mode)), "not a regular file")
            raise NotAFlowFile(f"cannot read the file: it is {kind}, not a regular file")
        chunks, size = [], 0
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)



def read_source(path: str | Path,
                data: bytes | None = None) -> tuple[Source | None, list[Diagnostic]]:
    """Read and normalise a flow file; refuse what is not flow text."""
    name = str(path)
    start = Span(name, 1, 1, 1, 2)
    try:
        raw = read_bounded(path) if data is None else data
    except NotAFlowFile as exc:
        return None, [error("E005", start, str(exc),
                            "give the path of an ordinary .flow file")]
    except OSError as exc:
        return None, [error("E005", start, f"cannot read the file: {exc.strerror or exc}")]
    if len(raw) > MAX_BYTES:
        return None, [error("E007", start,
                            f"the file is over {MAX_BYTES // 1024} KiB, the most a flow "
                            "may be", "split it into several flows")]
    if b"\0" in raw:
        return None, [error("E005", start, "this is a binary file, not flow text")]
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8):]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bol = raw.rfind(b"\n", 0, exc.start) + 1
        col = len(raw[bol:exc.start].decode("utf-8", "replace")) + 1
        return None, [error("E005", Span(name, line, col, line, col + 1),
                            f"the file is not UTF-8 text (bad byte at offset {exc.start})",
                            "save the file as UTF-8")]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return None, [error("E006", start, "the file is empty", "start it with `flow NAME`")]
    if all(not ln.strip() or ln.lstrip().startswith("#") for ln in text.split("\n")):
        return None, [error("E006", start, "the file holds only comments",
                            "start it with `flow NAME`")]
    if not text.endswith("\n"):
        text += "\n"
    diags = _check_indent_chars(name, text)
    return Source(name, text), diags


def _check_indent_chars(name: str, text: str) -> list[Diagnostic]:
    diags = []
    for n, line in enumerate(text.split("\n"), 1):
        indent = line[: len(line) - len(line.lstrip(" \t"))]
        if "\t" in indent:
            col = indent.index("\t") + 1
            diags.append(error("E004", Span(name, n, col, n, col + 1),
                               "tab in indentation", "indent with spaces only"))
    return diags


# ---------------------------------------------------------------- parsing


def parse_file(path: str | Path) -> ParseResult:
    source, diags = read_source(path)
    if source is None or diags:
        return ParseResult(None, diags, source)
    return parse_source(source)


def parse_text(text: str, path: str = "<string>") -> ParseResult:
    source, diags = read_source(path, text.encode("utf-8"))
    if source is None or diags:
        return ParseResult(None, diags, source)
    return parse_source(source)


def parse_source(source: Source) -> ParseResult:
    with _LOCK:
        builder = _builder()
        builder.reset(source.path)
        collecting = gc.isenabled()
        gc.disable()  # the parse allocates many small objects that all survive
        try:
            result = _parse_guarded(source, builder)
        finally:
            if collecting:
                gc.enable()
        diags = builder.diags
    if isinstance(result, Diagnostic):
        return ParseResult(None, [result], source)
    result.comments = scan_comments(source.text)
    return ParseResult(result, diags, source)


def _parse_guarded(source: Source, builder: ToAst) -> A.Flow | Diagnostic:
    try:
        return _lark().parse(source.text, start="start")
    except _BadIndent as exc:
        return error(exc.code, Span(source.path, exc.line, exc.col, exc.line, exc.col + 1),
                     exc.message, exc.help)
    except UnexpectedInput as exc:
        return _syntax_error(exc, source)
    except BadValue as exc:
        return exc.diagnostic
    except VisitError as exc:
        if isinstance(exc.orig_exc, BadValue):
            return exc.orig_exc.diagnostic
        if isinstance(exc.orig_exc, RecursionError):
            return _too_deep(source)
        raise
    except RecursionError:
        return _too_deep(source)


def _too_deep(source: Source) -> Diagnostic:
    return error("E008", Span(source.path, 1, 1, 1, 2), "expressions are nested too deeply",
                 "split the expression with `set`")


_COMMENT_SCAN = re.compile(r'"[^"\\\n]*+(?:\\.[^"\\\n]*+)*+"|(#[^\n]*)')  # as STRING


def scan_comments(text: str) -> list[A.Comment]:
    """Comments outside strings, with their line, column and whether they own the line."""
    found = []
    for n, line in enumerate(text.split("\n"), 1):
        if "#" not in line:
            continue
        for m in _COMMENT_SCAN.finditer(line):
            if m.group(1) is not None:
                col = m.start(1)
                found.append(A.Comment(n, col + 1, m.group(1), not line[:col].strip()))
                break
    return found


def _parse_interp(text: str, line: int, col: int):
    """Parse `{…}` text; the builder's offsets place it inside its string."""
    path = _builder().path
    try:
        return _lark().parse(text, start="interp")
    except _BadIndent as exc:
        c = col + exc.col - 1
        raise BadValue(error(exc.code, Span(path, line, c, line, c + 1), exc.message,
                             exc.help)) from None
    except UnexpectedInput as exc:
        c = col + max(getattr(exc, "column", 1) or 1, 1) - 1
        what = _found(exc)
        if what == "end of file":
            c, what = col + len(text), "end of the expression"
        raise BadValue(error("E012", Span(path, line, c, line, c + 1),
                             f"bad expression in `{{{text}}}`: unexpected {what}",
                             "write `{{` for a literal brace")) from None


# ---------------------------------------------------------------- parse errors

_STMT_WORDS = ("answer", "play", "say", "collect", "set", "lookup", "goto", "queue",
               "transfer", "record", "ticket", "fax", "hangup", "call", "return", "log", "if",
               "submit")


def _word_at(lines: list[str], line: int, col: int) -> str:
    """The word the parser stumbled on, read from the source itself."""
    if not 1 <= line <= len(lines):
        return ""
    m = re.match(r'"[^"]*"?|[\w\-:.]+|\S', lines[line - 1][col - 1:])
    return m.group(0) if m else ""


def _show_char(ch: str) -> str:
    """A character for a message: itself in backticks, or U+XXXX when invisible."""
    if ch.isprintable() and not ch.isspace():
        return f"`{ch}`"
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X}" + (f" ({name.lower()})" if name else "")


def _found(exc: UnexpectedInput, lines: list[str] | None = None) -> str:
    if isinstance(exc, UnexpectedCharacters):
        return f"character {_show_char(exc.char)}"
    if isinstance(exc, UnexpectedEOF):
        return "end of file"
    tok = getattr(exc, "token", None)
    if tok is None or tok.type == "$END":
        return "end of file"
    if tok.type == "_NL":
        return "end of line"
    if tok.type == "_INDENT":
        return "indentation"
    if tok.type == "_DEDENT":
        return "end of block"
    word = _word_at(lines, tok.line, tok.column) if lines else tok.value
    return f"`{word or tok.value}`"


def _syntax_error(exc: UnexpectedInput, source: Source) -> Diagnostic:
    lines = source.lines
    line = getattr(exc, "line", 1) or 1
    col = getattr(exc, "column", 1) or 1
    if isinstance(exc, UnexpectedToken) and exc.token.type in ("_NL", "_INDENT", "_DEDENT"):
        # the newline token starts at the end of the previous line
        tok = exc.token
        if tok.type == "_NL":
            line, col = tok.line, tok.column
        else:
            line = tok.line + tok.value.count("\n") + 1 if tok.type == "_INDENT" else tok.line + 1
            line = min(line, len(lines))
            col = len(lines[line - 1]) - len(lines[line - 1].lstrip(" ")) + 1
    span = Span(source.path, line, col, line, col + 1)
    expected = set(getattr(exc, "expected", None) or getattr(exc, "allowed", None) or ())

    if isinstance(exc, UnexpectedCharacters):
        if exc.char == '"':
            return error("E002", span, "unterminated string", 'close it with `"` on the same line')
        if exc.char == "\t":
            return error("E004", span, "tab in the line", "use spaces")
        word = re.match(r"[^\s,:]+", lines[line - 1][col - 1:] if line <= len(lines) else "")
        bad = word.group(0) if word else exc.char
        if "DURATION" in expected or re.fullmatch(r"\d+\w+", bad):
            return error("E010", span, f"`{bad}` is not a duration",
                         "write e.g. `5s`, `2m`, `1h30m`")
        if expected & {"DAYS", "TIMERANGE", "DATE", "CLOSED"}:
            return error("E011", span, f"`{bad}` is not a day, time or date here",
                         "write e.g. `mon-fri 08:00-20:00` or `2026-10-01`")
        return error("E001", span, f"unexpected character {_show_char(exc.char)}",
                     _expected_help(expected))

    tok = getattr(exc, "token", None)
    if isinstance(exc, UnexpectedToken) and tok is not None:
        if tok.type == "_INDENT":
            return error("E003", span, "unexpected indentation",
                         "indent only the lines inside a block")
        word = _word_at(lines, tok.line, tok.column)
        wspan = Span(source.path, tok.line, tok.column, tok.line, tok.column + max(len(word), 1))
        is_name = re.fullmatch(r"[A-Za-z_]\w*", word) is not None
        said = _say_text_error(lines, tok, word, wspan, expected)
        if said is not None:
            return said
        if is_name and (expected & {"PLAY", "GOTO", "ANSWER", "SAY"}):
            best = closest(word, _STMT_WORDS)
            return error("E009", wspan, f"unknown statement `{word}`",
                         f"did you mean `{best}`?" if best else
                         "statements are: " + ", ".join(_STMT_WORDS))
        if is_name and (expected & {"STEP", "MENU"}):
            best = closest(word, ("step", "menu", "sub", "campaign", "test"))
            return error("E009", wspan, f"unknown block `{word}`",
                         f"did you mean `{best}`?" if best else
                         "blocks are: step, menu, sub, campaign, test")
        if tok.type in ("_NL", "$END") and expected == {"_INDENT"}:
            return error("E003", span, "expected an indented block after `:`",
                         "indent the block's lines under it")
        if expected & {"DAYS", "TIMERANGE", "DATE"} and tok.type not in ("_NL", "$END"):
            return error("E011", wspan, f"`{word}` is not a day, time or date here",
                         "write e.g. `mon-fri 08:00-20:00` or `2026-10-01`")
        if _needs_block(lines, tok.line):
            return error("E003", wspan, "expected an indented block after the `:` line above",
                         "indent the block's lines under it")
        if expected == {"COLON"} and tok.type in ("_NL", "$END"):
            return error("E001", span, "expected `:` at the end of the line",
                         "node headers end with `:`, e.g. `step start:`")
        if "COLON" in expected and is_name and tok.type != "_NL":
            return error("E001", wspan, f"unexpected `{word}`",
                         "options and blocks start after `:`, e.g. `collect pin: digits 6`")
        return error("E001", wspan if tok.type not in ("_NL", "$END") else span,
                     f"unexpected {_found(exc, lines)}", _expected_help(expected))
    return error("E001", span, f"unexpected {_found(exc, lines)}", _expected_help(expected))


_LANG_WORD = re.compile(r"[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})+")


def _say_text_error(lines: list[str], tok, word: str, wspan: Span,
                    expected: set[str]) -> Diagnostic | None:
    """`en-US "…"` without its colon, or `en-US: "…"` not indented under a `say`."""
    before = lines[tok.line - 1][: tok.column - 1] if 1 <= tok.line <= len(lines) else ""
    head = before.strip()
    if tok.type == "STRING" and _LANG_WORD.fullmatch(head):
        return error("E001", wspan, f"expected `:` after `{head}`",
                     f'a sentence in another language is written `{head}: "…"`')
    label = head[:-1].rstrip()
    if tok.type != "STRING" and head.endswith(":") and _LANG_WORD.fullmatch(label):
        return error("E001", wspan, f"expected the {label} sentence as a string",
                     f'write `{label}: "…"`')
    if word.endswith(":") and _LANG_WORD.fullmatch(word[:-1]) and "SAY" in expected:
        return error("E003", wspan, f"`{word}` is not under a `say`",
                     "indent it one level under the `say` it translates")
    return None


def _needs_block(lines: list[str], line: int) -> bool:
    """True when the line before `line` opens a block that `line` does not indent."""
    if not 2 <= line <= len(lines):
        return False
    prev = lines[line - 2]
    code = prev.split("#", 1)[0].rstrip()
    indent = len(prev) - len(prev.lstrip(" "))
    here = len(lines[line - 1]) - len(lines[line - 1].lstrip(" "))
    return code.endswith(":") and here <= indent


def _expected_help(expected: set[str]) -> str:
    shown = sorted({_terminal_display().get(e, e) for e in expected if not e.startswith("__")})
    if not shown:
        return ""
    if len(shown) > 8:
        shown = [*shown[:8], "…"]
    return "expected " + ", ".join(shown)
