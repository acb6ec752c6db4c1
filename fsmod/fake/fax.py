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


def inline_app(call: FakeCall, then: str, endpoint: str) -> None:
    """Run `&txfax(FILE)` / `&rxfax(FILE)` on the originated leg once it is answered."""
    match = _INLINE.fullmatch(then)
    if match is None:
        return
    app, path = match.groups()
    line = call.switch.fax_lines.get(endpoint, FaxLine())       # type: ignore[attr-defined]
    total = tiff_pages(path) if app == "txfax" else max(line.pages or 1, 1)
    sent = total if line.pages is None else line.pages
    variables = {"fax_success": "1" if line.success else "0",
                 "fax_result_code": str(line.code), "fax_result_text": line.text,
                 "fax_document_transferred_pages": str(sent),
                 "fax_document_total_pages": str(total if line.answered_by_fax else 0),
                 "fax_ecm_used": "on" if line.ecm else "off", "fax_t38_status": "off",
                 "fax_transfer_rate": "14400"}
    if line.answered_by_fax:
        variables["fax_remote_station_id"] = REMOTE_STATION
    call.script.outcomes[app] = Outcome(after=line.after, variables=variables, hangup=line.drop,
                                        events=(f"spandsp::{app}result",))

    def run() -> None:
        call.answered.wait()
        if call.gone:
            return
        call.enqueue(app, path, call.switch.new_uuid())
        while not call.gone and (call.pending or call.running is None):
            gevent.sleep(0.01 * call.switch.scale)
            if not call.pending and call.running is None:
                break
        while not call.gone and call.running is not None:
            gevent.sleep(0.01 * call.switch.scale)
        if not call.gone:                 # the inline application returned: the call ends
            call.hangup("NORMAL_CLEARING")

    gevent.spawn(run)


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
