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
are those in the flow's folder (and any other flow files given); the
libraries a `use` may name are those in the flow's folder (else in
`[paths] flows`). Calendars are checked against the built-in tables of
public holidays and the day the command runs, in engine.timezone (tests and
`--today` give another).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
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
                    files: Iterable[Path] = (), today: dt.date | None = None) -> Catalog:
    """The catalogue flows are checked against: `[paths] catalog`, prompts from
    `[paths] prompts`, engine.default_lang as the language of flows that name none,
    the flows in folder `near` (and `files`) as what `goto flow` may name, the
    libraries of `near` (else of `[paths] flows`), the built-in public holiday
    tables, and `today` (default: today in engine.timezone) for how far those
    must reach."""
    settings = settings or cli_settings()
    catalog = read_catalog(settings, load_prompts(prompts_dir(settings)))
    catalog.flows = flow_names(near, files) if near is not None or files else None
    add_calendars_and_libraries(catalog, settings, near=near, today=today)
    return catalog


def add_calendars_and_libraries(catalog: Catalog, settings: Settings, *,
                                near: Path | None = None, today: dt.date | None = None) -> None:
    """What a flow may `use` and which public holiday tables it may follow, as of `today`."""
    from engine.calendars.public import public_calendars
    from ivrlang.library import libraries_in

    catalog.libraries = libraries_in(near if near is not None else settings.paths.flows)
    catalog.public_calendars = public_calendars()
    catalog.today = today or local_today(settings)


def local_today(settings: Settings) -> dt.date:
    """Today's date where the engine runs its calendars (engine.timezone)."""
    from zoneinfo import ZoneInfo

    return dt.datetime.now(ZoneInfo(settings.engine.timezone)).date()


def compile_checked(path: Path, catalog: Catalog):
    """Check a flow and compile it; (ir, Checked) or (None, Checked with the problems).

    A library (`library NAME`) is checked but not compiled: (None, Checked)
    with no problem; its subs and calendars are compiled into the flows that use it.
    """
    from ivrlang import check_file, compile_flow

    checked = check_file(path, catalog)
    if not checked.ok or checked.flow.library:
        return None, checked
    return compile_flow(checked.flow, catalog), checked


def library_usage(path: str | Path) -> click.UsageError:
    """The usage error for a command that runs flows, given a library."""
    return click.UsageError(f"{path} is a library: its subs and calendars run in the flows "
                            "that `use` it; give one of those")


def demo_runtime(settings: Settings | None = None, *, incident: bool | None = None,
                 today=None, near: Path | None = None, skip: tuple[str, ...] = ()):
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
    add_calendars_and_libraries(catalog, settings, near=near,
                                today=today if isinstance(today, dt.date) else None)
    return Runtime(registry=demo_registry(today=today, incident=incident, catalog=catalog,
                                          default_timeout_ms=settings.engine.lookup_timeout,
                                          skip=skip),
                   prompts=prompts,
                   sink=CommittingSink(MemorySink(), Outbox(settings.paths.outbox)),
                   catalog=catalog, max_steps=settings.engine.max_steps,
                   timezone=settings.engine.timezone, desk=MemoryDesk(),
                   fax_jobs=MemoryFaxJobs(), renderer=SimRenderer(),
                   back_office=MemoryBackOffice(),
                   queues=settings.queues, dial=dataclasses.asdict(settings.dial),
                   cpu_budget_ms=settings.engine.cpu_budget,
                   record_stereo=settings.freeswitch.recording_channels == "stereo")
