"""What a fax call's result means for the job: done, call again (how), or stop.

mod_spandsp reports `fax_success`, `fax_result_code` (spandsp's T.30
completion code, `T30_ERR_*`), `fax_result_text` and the pages sent of the
total. The codes below follow spandsp's t30 list (0 OK … 61); a job is
delivered only when the fax succeeded and every page went. A failed call is
one of:

- `RETRY`: a line or protocol problem that another try may get past; the
  next try falls back (error correction off when it was on, T.38 off when it
  was used, V.17 off after training failures), as HylaFAX and Asterisk users do;
- `FINAL`: the far end cannot take this fax (not a fax machine that receives,
  no support for the page's size or resolution, a refused identification):
  calling again gives the same answer;
- `DOCUMENT`: our own file was refused (TIFF cannot be opened, bad tags):
  the document is drawn again, the number is not redialled for it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class Verdict(enum.StrEnum):
    DELIVERED = "delivered"
    RETRY = "retry"
    FINAL = "final"
    DOCUMENT = "document"


T30_TEXT: dict[int, str] = {
    0: "OK",
    1: "The CED tone exceeded 5s",
    2: "Timed out waiting for initial communication",
    3: "Timed out waiting for the first message",
    4: "Timed out waiting for procedural interrupt",
    5: "The HDLC carrier did not stop in a timely manner",
    6: "Failed to train with any of the compatible modems",
    7: "Operator intervention failed",
    8: "Far end is not compatible",
    9: "Far end is not able to receive",
    10: "Far end is not able to transmit",
    11: "Far end cannot receive at the resolution of the image",
    12: "Far end cannot receive at the size of image",
    13: "Unexpected message received",
    14: "Received bad response to DCS or training",
    15: "Received a DCN from remote after sending a page",
    16: "Invalid ECM response received from receiver",
    17: "Received a DCN while waiting for a DIS",
    18: "Invalid response after sending a page",
    19: "Received other than DIS while waiting for DIS",
    20: "Received no response to DCS, training or TCF",
    21: "No response after sending a page",
    22: "Timed out waiting for receiver ready (ECM mode)",
    41: "TIFF/F file cannot be opened",
    42: "TIFF/F page not found",
    43: "TIFF/F format is not compatible",
    44: "TIFF/F page number tag missing",
    45: "Incorrect values for TIFF/F tags",
    46: "Bad TIFF/F header - incorrect values in fields",
    47: "Cannot allocate memory for more pages",
    48: "Disconnected after permitted retries",
    49: "The call dropped prematurely",
    50: "Poll not accepted",
    51: "Far end's ident is not acceptable",
}
"""spandsp's wording (what `fax_result_text` says), for codes a sender meets."""

FINAL_CODES = frozenset({8, 9, 11, 12, *range(50, 62)})
DOCUMENT_CODES = frozenset(range(41, 48))
TRAINING_CODES = frozenset({6, 14, 20})      # the modem could not train: V.17 off next
ECM_CODES = frozenset({16, 18, 21, 22})      # ECM exchanges failed: ECM off next


@dataclass(frozen=True)
class FaxResult:
    """One txfax's result as mod_spandsp reported it."""

    success: bool
    code: int
    text: str
    pages: int = 0            # fax_document_transferred_pages
    total_pages: int = 0      # fax_document_total_pages
    ecm_used: bool = False
    t38_used: bool = False


@dataclass(frozen=True)
class Judgement:
    verdict: Verdict
    reason: str
    fallbacks: tuple[str, ...] = ()   # what to switch off on the next try


FALLBACKS = ("ecm_off", "t38_off", "v17_off")


def judge(result: FaxResult, pages_expected: int) -> Judgement:
    """The verdict on a fax call a fax machine answered (or at least picked up)."""
    expected = max(pages_expected, result.total_pages)
    if result.success and result.code == 0:
        if expected and result.pages < expected:
            return Judgement(Verdict.RETRY, f"only {result.pages} of {expected} pages went")
        return Judgement(Verdict.DELIVERED, "OK")
    reason = f"{result.code} {result.text or T30_TEXT.get(result.code, 'unknown T.30 result')}"
    if result.code in DOCUMENT_CODES:
        return Judgement(Verdict.DOCUMENT, reason)
    if result.code in FINAL_CODES:
        return Judgement(Verdict.FINAL, reason)
    fallbacks: list[str] = []
    if result.t38_used:
        fallbacks.append("t38_off")
    if result.ecm_used or result.code in ECM_CODES:
        fallbacks.append("ecm_off")
    if result.code in TRAINING_CODES:
        fallbacks.append("v17_off")
    return Judgement(Verdict.RETRY, reason, tuple(fallbacks))


def channel_variables(fallbacks: tuple[str, ...] | list[str]) -> dict[str, str]:
    """mod_spandsp's channel variables for a try with these fallbacks."""
    out: dict[str, str] = {}
    if "ecm_off" in fallbacks:
        out["fax_use_ecm"] = "false"
    if "t38_off" in fallbacks:
        out["fax_enable_t38"] = "false"
    if "v17_off" in fallbacks:
        out["fax_disable_v17"] = "true"
    return out
