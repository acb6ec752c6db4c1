"""What every call of one engine process shares."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from engine.lookups.registry import Registry
from engine.record import RecordSink
from engine.seams.backoffice import BackOffice, MemoryBackOffice
from engine.seams.documents import DocumentRenderer, SimRenderer
from engine.seams.faxjobs import FaxJobs, MemoryFaxJobs
from engine.seams.tickets import MemoryDesk, TicketDesk
from engine.settings import DEFAULT_DIAL, DEFAULT_QUEUES
from ivrlang.catalog import Catalog


@dataclass
class Runtime:
    """What every call of a process shares.

    `sink` is where finished call records go (in a running engine a
    CommittingSink around the store's sink); `desk`, `fax_jobs`,
    `renderer` and `back_office` default to the simulator's, until the store and the fax
    issue supply theirs (engine/seams/).
    A call reads and waits on its own clock (`channel.clock`), never a
    shared one. `queues` maps a
    flow's queue (or `QUEUE/SKILL`) to a mod_callcenter queue and `dial` a
    transfer target kind to a dial-string template (settings [queues] and
    [dial]).
    """

    registry: Registry
    prompts: Mapping[str, Mapping[str, str]]
    sink: RecordSink
    catalog: Catalog = field(default_factory=Catalog)
    max_steps: int = 1000
    timezone: str = "Asia/Shanghai"   # for flows whose header names no time zone
    desk: TicketDesk = field(default_factory=MemoryDesk)
    fax_jobs: FaxJobs = field(default_factory=MemoryFaxJobs)
    renderer: DocumentRenderer = field(default_factory=SimRenderer)
    queues: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_QUEUES))
    dial: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_DIAL))
    cpu_budget_ms: int = 2000          # processor time one call may use (engine.cpu_budget)
    back_office: BackOffice = field(default_factory=MemoryBackOffice)   # `submit` writes
    record_stereo: bool = False        # whole-call recordings in stereo ([freeswitch])
