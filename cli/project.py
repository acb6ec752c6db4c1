"""Finding a project's flows and prompt catalogues; the Catalog and the demo Runtime.

Flows are checked against, and callers hear, the prompt catalogues in the
folder `[paths] prompts` names (default `prompts`, relative to the current
directory; SWITCHFLOW_PATHS_PROMPTS overrides it). A folder that does not
exist or holds no LANG.toml stops the command with a message saying so:
prompt keys are never left unchecked by accident.
The lookups, functions, submits, ticket types, fax documents, target sources
and queues flows may name come from the catalogue file `[paths] catalog`
names (default flows/catalog.toml); a missing file is a usage error, a
malformed one an error naming the entry. The flows a `goto flow` may name
are those in the flow's folder (and any other flow files given).
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Iterable
from pathlib import Path

import click

from engine.catalog import CatalogError, CatalogMissing, load_catalog
from engine.settings import Settings, SettingsError, load_settings
from engine.speech.prompts import PromptError
from engine.speech.prompts import load_prompts as read_prompts
from ivrlang.catalog import Catalog
from ivrlang.parser import NotAFlowFile, read_bounded

_FLOW_LINE = re.compile(r"^flow[ \t]+([A-Za-z_][A-Za-z0-9_]*)", re.M)


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


def cli_settings() -> Settings:
    """The settings, or a one-line error for the terminal."""
    try:
        return load_settings()
    except SettingsError as exc:
        raise click.ClickException(str(exc)) from None


def prompts_dir(settings: Settings | None = None) -> Path:
    """The folder `[paths] prompts` names; an error if it is missing or holds no catalogue."""
    if os.environ.get("SWITCHFLOW_PROMPTS"):
        raise click.ClickException("SWITCHFLOW_PROMPTS is no longer read: set "
                                   "SWITCHFLOW_PATHS_PROMPTS (or [paths] prompts) instead")
    folder = (settings or cli_settings()).paths.prompts
    where = "set `prompts` under [paths] in your settings file or SWITCHFLOW_PATHS_PROMPTS"
    if not folder.is_dir():
        raise click.UsageError(f"the prompts folder {folder} does not exist "
                               f"({folder.absolute()}): {where}, or run switchflow "
                               "from the project's folder")
    if not any(folder.glob("*.toml")):
        raise click.UsageError(f"the prompts folder {folder} holds no prompt catalogue "
                               f"(LANG.toml such as zh-CN.toml): {where}")
    return folder


def load_prompts(folder: Path) -> dict[str, dict[str, str]]:
    """The catalogues in `folder` (one that prompts_dir accepted)."""
    try:
        return read_prompts(folder)
    except PromptError as exc:
        raise click.ClickException(str(exc)) from None


def read_catalog(settings: Settings, prompts: dict[str, dict[str, str]] | None = None
                 ) -> Catalog:
    """The catalogue `[paths] catalog` names, with the prompt keys of `prompts`
    (None: prompt keys unchecked); a one-line error for the terminal otherwise."""
    path = settings.paths.catalog
    keys = None if prompts is None else {lang: set(k) for lang, k in prompts.items()}
    try:
        return load_catalog(path, keys, settings.engine.default_lang)
    except CatalogMissing:
        raise click.UsageError(f"the catalogue {path} does not exist ({path.absolute()}): "
                               "set `catalog` under [paths] in your settings file or "
                               "SWITCHFLOW_PATHS_CATALOG, or run switchflow from the "
                               "project's folder") from None
    except CatalogError as exc:
        raise click.ClickException(str(exc)) from None


def flow_names(near: Path | None = None, files: Iterable[Path] = ()) -> set[str]:
    """The names (`flow NAME` lines) of the flows in folder `near` and of `files`.

    Read like any flow: regular files only, never more than the size limit, so a
    FIFO or a device given as a flow is reported by the command, not waited on.
    """
    paths = set(files)
    if near is not None and near.is_dir():
        paths.update(near.glob("*.flow"))
    names = set()
    for path in paths:
        try:
            text = read_bounded(path).decode("utf-8", errors="replace")
        except (OSError, NotAFlowFile):
            continue
        found = _FLOW_LINE.search(text)
        if found:
            names.add(found.group(1))
    return names


def project_catalog(settings: Settings | None = None, *, near: Path | None = None,
                    files: Iterable[Path] = ()) -> Catalog:
    """The catalogue flows are checked against: `[paths] catalog`, prompts from
    `[paths] prompts`, engine.default_lang as the language of flows that name none, and the flows
    in folder `near` (and `files`) as what `goto flow` may name."""
    settings = settings or cli_settings()
    catalog = read_catalog(settings, load_prompts(prompts_dir(settings)))
    catalog.flows = flow_names(near, files) if near is not None or files else None
    return catalog


def compile_checked(path: Path, catalog: Catalog):
    """Check a flow and compile it; (ir, None) or (None, Checked with the problems)."""
    from ivrlang import check_file, compile_flow

    checked = check_file(path, catalog)
    if not checked.ok:
        return None, checked
    return compile_flow(checked.flow, catalog), checked


def demo_runtime(settings: Settings | None = None, *, incident: bool | None = None,
                 today=None, near: Path | None = None):
    """A Runtime on demo data and the simulator's seams, until the store exists.

    Call records go to memory through the committer, so a failure would land
    in `[paths] outbox`; tickets, fax jobs, documents and back-office writes
    (`submit`) are the simulator's.
    """
    from engine.demo import demo_registry
    from engine.record import MemorySink
    from engine.runtime import Runtime
    from engine.seams.backoffice import MemoryBackOffice
    from engine.seams.documents import SimRenderer
    from engine.seams.faxjobs import MemoryFaxJobs
    from engine.seams.records import CommittingSink, Outbox
    from engine.seams.tickets import MemoryDesk

    settings = settings or cli_settings()
    prompts = load_prompts(prompts_dir(settings))
    catalog = read_catalog(settings, prompts)
    catalog.flows = flow_names(near) if near is not None else None
    return Runtime(registry=demo_registry(today=today, incident=incident, catalog=catalog,
                                          default_timeout_ms=settings.engine.lookup_timeout),
                   prompts=prompts,
                   sink=CommittingSink(MemorySink(), Outbox(settings.paths.outbox)),
                   catalog=catalog, max_steps=settings.engine.max_steps,
                   timezone=settings.engine.timezone, desk=MemoryDesk(),
                   fax_jobs=MemoryFaxJobs(), renderer=SimRenderer(),
                   back_office=MemoryBackOffice(),
                   queues=settings.queues, dial=dataclasses.asdict(settings.dial),
                   cpu_budget_ms=settings.engine.cpu_budget)
