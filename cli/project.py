"""Finding a project's flows and prompt catalogues, and building the Catalog.

A flow is checked against the prompt files of the project it lives in:
the nearest `prompts/` folder above it, else the one shipped with
switchflow. SWITCHFLOW_PROMPTS overrides both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

import click

from engine.catalog import build_catalog
from engine.speech.prompts import PromptError
from engine.speech.prompts import load_prompts as read_prompts
from ivrlang.catalog import Catalog

SHIPPED_ROOT = Path(__file__).resolve().parents[1]


def find_flow_files(paths: Iterable[str]) -> list[Path]:
    """Files as given, folders searched for *.flow; a missing path is a usage error."""
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(sorted(p.rglob("*.flow")))
        elif p.exists():
            found.append(p)
        else:
            raise click.BadParameter(f"no such file or folder: {raw}", param_hint="PATH")
    return found


def prompts_dir(near: Path | None = None) -> Path | None:
    env = os.environ.get("SWITCHFLOW_PROMPTS")
    if env:
        return Path(env)
    if near is not None:
        for folder in [near.resolve(), *near.resolve().parents]:
            candidate = folder / "prompts"
            if candidate.is_dir() and any(candidate.glob("*.toml")):
                return candidate
    shipped = SHIPPED_ROOT / "prompts"
    return shipped if shipped.is_dir() else None


def load_prompts(folder: Path) -> dict[str, dict[str, str]]:
    try:
        return read_prompts(folder)
    except PromptError as exc:
        raise click.ClickException(str(exc)) from None


def project_catalog(near: Path | None = None) -> Catalog:
    folder = prompts_dir(near)
    prompts = load_prompts(folder) if folder else None
    return build_catalog({lang: set(keys) for lang, keys in prompts.items()} if prompts else None)


def compile_checked(path: Path, catalog: Catalog):
    """Check a flow and compile it; (ir, None) or (None, Checked with the problems)."""
    from ivrlang import check_file, compile_flow

    checked = check_file(path, catalog)
    if not checked.ok:
        return None, checked
    return compile_flow(checked.flow, catalog), checked


def demo_runtime(near: Path | None = None, *, incident: bool | None = None, today=None,
                 settings=None):
    """A Runtime on demo data: the simulator's world until the store exists."""
    from engine.calendars.clock import SystemClock
    from engine.demo import demo_registry
    from engine.record import MemorySink
    from engine.runtime import Runtime

    folder = prompts_dir(near)
    prompts = load_prompts(folder) if folder else {}
    catalog = build_catalog({lang: set(keys) for lang, keys in prompts.items()} or None)
    limits = ({"max_steps": settings.engine.max_steps, "timezone": settings.engine.timezone,
               "cpu_budget_ms": settings.engine.cpu_budget} if settings else {})
    timeout = {"default_timeout_ms": settings.engine.lookup_timeout} if settings else {}
    return Runtime(registry=demo_registry(today=today, incident=incident, catalog=catalog,
                                          **timeout),
                   clock=SystemClock(),
                   prompts=prompts, sink=MemorySink(), catalog=catalog, **limits)
