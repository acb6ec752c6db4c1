"""Concurrent updates never lose a change: two OS processes change one ticket at once,
on SQLite and on PostgreSQL, and afterwards every change is there."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

from store.models.tickets import TicketAudit, TicketEvent, TicketRow
from store.tickets.service import TicketService

REPO = Path(__file__).resolve().parents[1]
NOTES = 30

# one writer: waits for the common start instant, then adds NOTES notes as fast as it can
WRITER = textwrap.dedent("""
    import sys, time
    from store.db import connect
    from store.tickets.service import TicketService
    url, number, tag, start, count = sys.argv[1:6]
    connect(url)
    service = TicketService()
    time.sleep(max(0.0, float(start) - time.time()))
    began = time.time()
    for i in range(int(count)):
        service.note(number, f"{tag} note {i}", who=tag)
        time.sleep(0.01)          # an operator's pace, not a loop holding the lock
    print("done", tag, began, time.time())
""")


def test_two_processes_noting_one_ticket_at_once_lose_nothing(store_db, db_url):
    number = TicketService().create("repair", 2, who="li.na").number
    store_db.close()
    start = f"{time.time() + 2.0:.3f}"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, db_url, number, tag, start,
                                 str(NOTES)], cwd=REPO, stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)
               for tag in ("crew", "desk")]
    outputs = [w.communicate(timeout=180) for w in writers]
    for w, (out, err) in zip(writers, outputs, strict=True):
        assert w.returncode == 0, err
        assert out.startswith("done"), out + err

    row = TicketRow.get(TicketRow.number == number)
    assert row.version == 1 + 2 * NOTES                 # the creation and every note
    notes = [e for e in TicketEvent.select().where(TicketEvent.ticket == row)
             .order_by(TicketEvent.version)]
    assert [e.version for e in notes] == list(range(1, 2 + 2 * NOTES))
    details = {e.detail for e in notes if e.kind == "note"}
    assert details == {f"{tag} note {i}" for tag in ("crew", "desk") for i in range(NOTES)}
    audit = TicketAudit.select().where((TicketAudit.ticket == row)
                                       & (TicketAudit.action == "note"))
    assert sorted((a.who, a.new) for a in audit) == sorted(
        (tag, f"{tag} note {i}") for tag in ("crew", "desk") for i in range(NOTES))
    # the two writers really overlapped in time, and their notes are interleaved
    (b1, e1), (b2, e2) = [map(float, out.split()[2:4]) for out, _ in outputs]
    assert b1 < e2 and b2 < e1
    order = [e.who for e in notes if e.kind == "note"]
    assert order != sorted(order) and order != sorted(order, reverse=True)
