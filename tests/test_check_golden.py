"""Diagnostics as data: every bad flow next to the exact output it must produce.

tests/data/bad/CODE_what.flow      a small flow that triggers CODE
tests/data/bad/CODE_what.expected  its concise diagnostics, one per line, in order
tests/data/bad/CODE_what.full      (optional) the full rendering, snippet and caret
tests/data/good/*.flow             flows that must produce no diagnostic at all

The files are checked with a path relative to the repository root, so the
expected messages read like what a flow author sees in a terminal.

To rewrite the expected files from the current output, run

    SWITCHFLOW_REGEN=1 .venv/bin/pytest tests/test_check_golden.py

and then read every changed file (`git diff tests/data/`): each message must
name file:line:col, say what is wrong and, for a misspelt name, suggest the
right one. An expected file states what the message *should* be, so a
regeneration must never be committed without that review.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import REPO, make_catalog

from ivrlang import check_file
from ivrlang.codes import CODES
from ivrlang.diagnostics import render_concise, render_full

BAD_DIR = Path("tests/data/bad")
GOOD_DIR = Path("tests/data/good")
BAD = sorted(p.name for p in (REPO / BAD_DIR).glob("*.flow"))
GOOD = sorted(p.name for p in (REPO / GOOD_DIR).glob("*.flow"))
REGEN = os.environ.get("SWITCHFLOW_REGEN") == "1"

# Codes with no file under tests/data/bad/, and where they are tested instead.
PRODUCED_ELSEWHERE = {
    "E007": "tests/test_parse_errors.py::test_huge_file — a file over the size limit "
            "(4 MiB) is generated there rather than kept in the repository",
}


def _check(relpath: Path):
    """Check a data file by its path relative to the repository root."""
    old = Path.cwd()
    os.chdir(REPO)
    try:
        return check_file(str(relpath), make_catalog())
    finally:
        os.chdir(old)


def _compare(path: Path, actual: str) -> None:
    if REGEN:
        path.write_text(actual, encoding="utf-8")
        return
    assert path.exists(), f"{path.name} is missing; run with SWITCHFLOW_REGEN=1 and review it"
    expected = path.read_text(encoding="utf-8")
    assert actual == expected, (
        f"{path.relative_to(REPO)} differs\n--- expected\n{expected}--- actual\n{actual}")


def _code(name: str) -> str:
    return name.split("_", 1)[0]


@pytest.mark.parametrize("name", BAD)
def test_bad_flow_concise(name):
    checked = _check(BAD_DIR / name)
    actual = "".join(render_concise(d) + "\n" for d in checked.diagnostics)
    _compare(REPO / BAD_DIR / name.replace(".flow", ".expected"), actual)


FULL = sorted(p.with_suffix(".flow").name for p in (REPO / BAD_DIR).glob("*.full"))


@pytest.mark.parametrize("name", FULL)
def test_bad_flow_full(name):
    checked = _check(BAD_DIR / name)
    lines = checked.source.lines if checked.source else None
    actual = "\n\n".join(render_full(d, lines) for d in checked.diagnostics) + "\n"
    _compare(REPO / BAD_DIR / name.replace(".flow", ".full"), actual)


def test_expected_files_name_the_code_of_their_flow():
    """`E101_x.expected` must contain an E101 line: the file name is a promise."""
    wrong = []
    for name in BAD:
        path = REPO / BAD_DIR / name.replace(".flow", ".expected")
        if path.exists() and f"[{_code(name)}]" not in path.read_text(encoding="utf-8"):
            wrong.append(name)
    assert not wrong, f"expected output lacks the file's own code: {wrong}"


def test_every_expected_line_has_a_position():
    """Each concise line is `path:line:col: severity[CODE]: message`."""
    for name in BAD:
        path = REPO / BAD_DIR / name.replace(".flow", ".expected")
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            where, _, rest = line.partition(": ")
            file, row, col = where.rsplit(":", 2)
            assert file == str(BAD_DIR / name), line
            assert int(row) >= 1 and int(col) >= 1, line
            assert rest.startswith(("error[", "warning[")), line


def test_no_stray_files():
    data = REPO / BAD_DIR
    flows = {p.stem for p in data.glob("*.flow")}
    others = {p.stem for p in data.iterdir() if p.suffix in (".expected", ".full")}
    assert others <= flows, f"expected files without a flow: {sorted(others - flows)}"
    unknown = sorted(n for n in BAD if _code(n) not in CODES)
    assert not unknown, f"bad files named after codes that do not exist: {unknown}"


def test_every_code_has_a_bad_flow():
    covered = {_code(n) for n in BAD}
    missing = sorted(set(CODES) - covered - set(PRODUCED_ELSEWHERE))
    assert not missing, f"codes without a tests/data/bad/ file: {missing}"
    stale = sorted(set(PRODUCED_ELSEWHERE) & covered)
    assert not stale, f"listed as produced elsewhere but have a bad file: {stale}"


def test_codes_produced_elsewhere_are_tested_there():
    for code, where in PRODUCED_ELSEWHERE.items():
        file, _, func = where.split(" ", 1)[0].partition("::")
        text = (REPO / file).read_text(encoding="utf-8")
        assert f"def {func}(" in text and code in text, f"{code}: {where}"


@pytest.mark.parametrize("name", GOOD)
def test_good_flow_is_clean(name):
    checked = _check(GOOD_DIR / name)
    lines = checked.source.lines if checked.source else None
    assert checked.flow is not None
    assert not checked.diagnostics, "\n\n".join(render_full(d, lines) for d in checked.diagnostics)


def test_there_are_good_flows():
    assert len(GOOD) >= 3
