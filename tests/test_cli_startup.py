"""Start-up: the parser tables cache and the lazily imported subcommands.

How fast it starts is measured in benchmarks/bench_startup.py, not here;
these tests hold the mechanisms that make it fast, and their fallbacks.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from cli.main import COMMANDS, cli

ROOT = Path(__file__).resolve().parents[1]
FLOW = "flow f\n\nstep start:\n  answer\n  note \"hello\"\n  hangup\n"


def python(code: str, *, cwd: Path = ROOT, cache: Path | None = None,
           extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(extra_env or {})}
    if cache is not None:
        env["XDG_CACHE_HOME"] = str(cache)
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=120)


def test_help_lists_every_command_with_its_own_summary():
    result = CliRunner().invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name, (_module, _attr, summary) in COMMANDS.items():
        command = cli.get_command(None, name)
        assert command.short_help == summary, name
        assert f"{name}  " in result.output and summary in result.output


def test_help_and_check_import_only_what_they_use():
    probe = ("import sys; from cli.main import main\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\n"
             "print(sorted(m for m in sys.modules"
             " if m.startswith(('cli.', 'engine', 'ivrlang', 'gevent'))))")
    helped = python(f"import sys; sys.argv = ['switchflow', '--help']\n{probe}")
    assert "'cli.main'" in helped.stdout, helped.stderr
    assert "ivrlang" not in helped.stdout and "engine" not in helped.stdout, helped.stdout
    checked = python(f"import sys; sys.argv = ['switchflow', 'check', 'flows/emergency.flow']"
                     f"\n{probe}")
    assert "'cli.check'" in checked.stdout and "'cli.call'" not in checked.stdout
    assert "'ivrlang.checker'" in checked.stdout
    assert "engine.session" not in checked.stdout and "gevent" not in checked.stdout


def _copy_language(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "ivrlang", tmp_path / "ivrlang",
                    ignore=shutil.ignore_patterns("__pycache__"))
    return tmp_path / "ivrlang" / "grammar.lark"


PARSE = ("from ivrlang.parser import parse_text\n"
         "r = parse_text(open('f.flow').read(), 'f.flow')\n"
         "print([d.code for d in r.diagnostics] or 'ok')")


def test_the_cache_is_kept_and_a_changed_grammar_is_not_served_from_it(tmp_path):
    grammar = _copy_language(tmp_path)
    (tmp_path / "f.flow").write_text(FLOW, encoding="utf-8")
    cache = tmp_path / "cache"
    first = python(PARSE, cwd=tmp_path, cache=cache)
    assert first.stdout.strip() == "['E009']", first.stderr     # `note` is no statement
    files = list((cache / "switchflow").glob("grammar-*"))
    assert len(files) == 1
    assert python(PARSE, cwd=tmp_path, cache=cache).stdout.strip() == "['E009']"

    text = grammar.read_text(encoding="utf-8")
    grammar.write_text(text.replace('LOG: "log"', 'LOG: "note"'), encoding="utf-8")
    changed = python(PARSE, cwd=tmp_path, cache=cache)
    assert changed.stdout.strip() == "ok", changed.stdout + changed.stderr
    assert len(list((cache / "switchflow").glob("grammar-*"))) == 2


def test_no_usable_cache_folder_still_parses(tmp_path):
    (tmp_path / "f.flow").write_text(FLOW.replace("note", "log"), encoding="utf-8")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    run = python(PARSE.replace("open('f.flow')", f"open({str(tmp_path / 'f.flow')!r})"),
                 cache=blocker)
    assert run.stdout.strip() == "ok" and run.stderr == ""


def test_a_cache_folder_others_can_write_is_not_used(tmp_path):
    shared = tmp_path / "shared"
    (shared / "switchflow").mkdir(parents=True)
    (shared / "switchflow").chmod(0o777)
    run = python("from ivrlang.parser import _lark; _lark(); print('ok')", cache=shared)
    assert run.stdout.strip() == "ok", run.stderr
    assert list((shared / "switchflow").iterdir()) == []


def test_a_corrupt_cache_file_is_rebuilt(tmp_path):
    cache = tmp_path / "cache"
    assert python("from ivrlang.parser import _lark; _lark()", cache=cache).returncode == 0
    [kept] = (cache / "switchflow").glob("grammar-*")
    kept.write_bytes(kept.read_bytes()[:200])
    run = python("from ivrlang.parser import parse_text; "
                 "print(parse_text('flow f\\n\\nstep start:\\n  hangup\\n').diagnostics)",
                 cache=cache)
    assert run.stdout.strip() == "[]", run.stderr
    assert "Traceback" not in run.stderr
