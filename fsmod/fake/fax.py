"""The fake FreeSWITCH's mod_spandsp on the control side: fax calls placed by originate.

`originate {vars}ENDPOINT &txfax(FILE)` (a fax job) or `… &rxfax(FILE)`: once
the call is answered, the originated leg runs the fax application inline,
the CUSTOM `spandsp::txfaxresult` / `spandsp::rxfaxresult` event carries the
result (`fax-success`, `fax-result-code`, `fax-result-text`, pages), and the
channel hangs up when the application returns, as a real 1.10.12 does
(captures inbound-fax-control, inbound-fax-failures-control). What is at
the far end is scripted per endpoint in `FakeFreeSWITCH.fax_lines`: a fax
machine that takes every page (the default), a silent line (code 2 after
60 s), a machine that drops the call (code 49, the result after the hangup).
A busy number is `originate_outcomes` as for any call: `-ERR USER_BUSY` and
no fax events.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

import gevent

from fsmod.fake import media
from fsmod.fake.script import Outcome
from fsmod.vocab import EventName

if TYPE_CHECKING:
    from fsmod.fake.call import FakeCall

_INLINE = re.compile(r"&(txfax|rxfax)\((.*)\)")


@dataclass(frozen=True)
class FaxLine:
    """The far end of a fax call, and how the exchange ends after `after` seconds."""

    after: float = 2.0
    success: bool = True
    code: int = 0
    text: str = "OK"
    pages: int | None = None      # pages that went (None: every page)
    drop: bool = False            # the far end hangs up: the result follows the hangup
    ecm: bool = True
    answered_by_fax: bool = True  # a fax machine answered (its station id is reported)
    machine: bool = False
    """The far end is the loopback's other leg running the opposite fax application,
    with its own result event (the captures' set-up); else only our leg reports."""
    negotiate: bool = False       # the sending side fires txfaxnegociateresult part-way
    file: str = "/srv/fax1.tif"   # what a far machine that sends sends


SILENT = FaxLine(after=60.0, success=False, code=2,
                 text="Timed out waiting for initial communication", pages=0, ecm=False,
                 answered_by_fax=False)
DROPPED = FaxLine(after=6.0, success=False, code=49, text="The call dropped prematurely",
                  pages=0, drop=True)
REMOTE_STATION = "SpanDSP Fax Ident"


def tiff_pages(path: str) -> int:
    """Pages of the TIFF txfax would send (1 when the file cannot be read here)."""
    try:
        from PIL import Image

        with Image.open(path) as image:
            return getattr(image, "n_frames", 1)
    except (OSError, ImportError):
        return 1


def next_line(switch: object, endpoint: str) -> FaxLine | None:
    """The scripted far end for `endpoint`: a FaxLine, or the next of a list of them."""
    lines = getattr(switch, "fax_lines", {})
    line = lines.get(endpoint)
    if isinstance(line, list):
        return line.pop(0) if line else None
    return line


def _script(call: FakeCall, app: str, line: FaxLine, total: int, later: float = 0.0) -> None:
    sent = total if line.pages is None else line.pages
    variables = {"fax_success": "1" if line.success else "0",
                 "fax_result_code": str(line.code), "fax_result_text": line.text,
                 "fax_document_transferred_pages": str(sent),
                 "fax_document_total_pages": str(total if line.answered_by_fax else 0),
                 "fax_ecm_used": "on" if line.ecm else "off", "fax_t38_status": "off",
                 "fax_transfer_rate": "14400"}
    # the receiver learns who sent only from a whole exchange; the sender, from the answer
    if line.answered_by_fax and (app == "txfax" or line.success):
        variables["fax_remote_station_id"] = REMOTE_STATION
    events = (f"spandsp::{app}result",)
    if line.negotiate and app == "txfax":
        events = ("spandsp::txfaxnegociateresult", *events)
    call.script.outcomes[app] = Outcome(after=line.after + later, variables=variables,
                                        hangup=line.drop, events=events)


def _run_inline(call: FakeCall, app: str, path: str, peer: FakeCall | None = None) -> None:
    """The leg runs `app` once answered, and hangs up when it returns (once a fax
    machine on the `peer` leg has given its own result too)."""

    def run() -> None:
        call.answered.wait()
        if call.gone:
            return
        if call.direction == "outbound":
            call.cid_flipped = True
        call.enqueue(app, path, call.switch.new_uuid())
        step = max(0.005, 0.01 * call.switch.scale)
        while not call.gone and call.pending:
            gevent.sleep(step)
        while not call.gone and call.running is not None:
            gevent.sleep(step)
        while peer is not None and not call.gone and (peer.pending or peer.running):
            gevent.sleep(step)
        if not call.gone:                 # the inline application returned: the call ends
            call.hangup("NORMAL_CLEARING")

    gevent.spawn(run)


def inline_app(call: FakeCall, then: str, endpoint: str) -> None:
    """Run `&txfax(FILE)` / `&rxfax(FILE)` on the originated leg once it is answered
    (and, for a fax machine on the other leg, the opposite application there)."""
    match = _INLINE.fullmatch(then)
    line = next_line(call.switch, endpoint)
    peer = call.peer
    if match is None:
        parts = then.split()
        if len(parts) == 3:           # `EXT DIALPLAN CONTEXT`: the a-leg is transferred there
            ext, dialplan, context = parts
            call.rdnis = call.script.destination
            call.transfer_source = (f"{int(time.time())}:{call.switch.new_uuid()}:bl_xfer:"
                                    f"{ext}/{context}/{dialplan}")
        if line is not None and line.machine and peer is not None:
            # routed elsewhere (`… 7200 XML default`): the far leg sends to whatever is there
            _script(peer, "txfax", line, 1)
            _run_inline(peer, "txfax", line.file)
        return
    line = line or FaxLine()
    app, path = match.groups()
    total = tiff_pages(path) if app == "txfax" else max(line.pages or 1, 1)
    _script(call, app, line, total)
    machine = peer if line.machine else None
    _run_inline(call, app, path, machine)
    if machine is not None:
        other = "rxfax" if app == "txfax" else "txfax"
        _script(machine, other, line, total, later=0.05)
        _run_inline(machine, other, line.file if other == "txfax" else "/srv/fax/r.tif")


def _rxfax(call: FakeCall, arg: str) -> str:
    """mod_spandsp's rxfax: the document arrives, then the result event (rxfaxresult)."""
    outcome = call.script.outcomes.get("rxfax") or Outcome(after=5.0, variables=media.FAX_OK)
    call.variables.update({"fax_filename": arg, "fax_ecm_requested": "1",
                           "fax_local_station_id": "SpanDSP Fax Ident"})
    call.wait(outcome.after, keys=False)
    call.variables.update(outcome.variables)
    if outcome.hangup and not call.gone:
        call.hangup()
    keys = ("success", "result_code", "result_text", "document_transferred_pages",
            "document_total_pages", "image_resolution", "image_size", "bad_rows",
            "transfer_rate", "ecm_used", "t38_status", "local_station_id",
            "remote_station_id")
    defaults = {"image_resolution": "8040x7700", "image_size": "0", "bad_rows": "0",
                "transfer_rate": "14400", "ecm_used": "on", "t38_status": "off"}
    tail = []
    for key in keys:
        value = call.variables.get("fax_" + key, defaults.get(key))
        if value is None:
            continue
        call.variables.setdefault("fax_" + key, value)
        tail.append(("fax-" + key.replace("_", "-"), value))
    headers = call.switch.identity.channel_event(
        EventName.CUSTOM, call, tail, "spandsp::rxfaxresult",
        ("mod_spandsp_fax.c", "phase_e_handler", 676))
    call.switch.fire(EventName.CUSTOM.value, headers, unique_id=call.uuid)
    return "_none_"


media.APPS.setdefault("rxfax", _rxfax)
