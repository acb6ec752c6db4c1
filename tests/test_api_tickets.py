"""Tickets through the API: submitted, then read back with their fields; listed a page at
a time; notes; confidential complaints hidden from tokens that may not see them; bad
input 400 and a note on a closed ticket 409."""

from __future__ import annotations

from store.models.tickets import TicketRow
from store.tickets.service import TicketService

pytest_plugins = ["panel_support", "api_support"]

LEAK = {"type": "leak", "severity": 1, "account": "12345678", "caller": "13800000001",
        "note": "smell of gas in the kitchen", "team": "crew-east",
        "fields": {"address": "上海市浦东新区花木路100号", "callback": "13800000001",
                   "floors": 6, "gas_off": True}}


def test_a_submitted_ticket_is_read_back_with_its_fields(api):
    made = api.post("/api/tickets", LEAK, "tickets:write")
    assert made.status_code == 201, made.json
    number = made.json["number"]
    assert made.headers["Location"] == f"/api/tickets/{number}"
    got = api.get(f"/api/tickets/{number}", "tickets:read")
    assert got.status_code == 200
    t = got.json
    assert (t["type"], t["severity"], t["status"], t["account"], t["caller"]) == (
        "leak", 1, "new", "12345678", "13800000001")
    assert t["fields"] == {**LEAK["fields"], "note": "smell of gas in the kitchen"}
    assert t["team"] == "crew-east" and t["version"] == 1
    assert t["created"] == "2026-11-28T17:00:00+08:00"          # local, with its offset
    assert t["resolve_due"] > t["created"]                    # timed by the shipped policies
    assert [(e["kind"], e["who"]) for e in t["events"]] == [("created", "api:backoffice")]


def test_tickets_are_listed_newest_first_a_page_at_a_time(api, clock):
    numbers = []
    for i in range(5):
        clock.advance(minutes=1)
        numbers.append(api.post("/api/tickets", {"type": "repair", "severity": 3,
                                                 "note": f"n{i}"}).json["number"])
    page = api.get("/api/tickets?per_page=2&page=2", "tickets:read").json
    assert (page["page"], page["per_page"], page["total"]) == (2, 2, 5)
    assert [t["number"] for t in page["items"]] == numbers[::-1][2:4]
    assert api.get("/api/tickets?severity=1").json["total"] == 0
    assert api.get("/api/tickets?status=new&type=repair").json["total"] == 5


def test_a_note_is_added_and_a_stale_version_refused(api):
    number = api.post("/api/tickets", LEAK).json["number"]
    noted = api.post(f"/api/tickets/{number}/notes", {"text": "crew on the way",
                                                      "public": True}, "tickets:write")
    assert noted.status_code == 201
    assert noted.json["events"][-1]["detail"] == "crew on the way"
    assert noted.json["version"] == 2
    stale = api.post(f"/api/tickets/{number}/notes", {"text": "again", "expected_version": 1})
    assert stale.status_code == 409
    assert stale.json["error"] == "conflict" and "version 2, not 1" in stale.json["detail"]


def test_a_note_on_a_closed_ticket_is_a_conflict(api, clock):
    number = api.post("/api/tickets", LEAK).json["number"]
    desk = TicketService(clock)
    desk.dispatch(number, who="disp", team="crew-east")
    desk.accept(number, who="crew")
    desk.resolve(number, who="crew", cause="hardware", note="valve replaced")
    desk.close(number, who="crew")
    answer = api.post(f"/api/tickets/{number}/notes", {"text": "late"})
    assert answer.status_code == 409, answer.json
    assert "cannot note" in answer.json["detail"]


def test_confidential_complaints_need_the_scope(api):
    refused = api.post("/api/tickets", {"type": "complaint", "severity": 3,
                                        "confidential": True}, "tickets:write", "tickets:read")
    assert refused.status_code == 403
    number = api.post("/api/tickets", {"type": "complaint", "severity": 3,
                                       "confidential": True}).json["number"]
    assert api.get(f"/api/tickets/{number}", "tickets:read").status_code == 404
    assert api.get("/api/tickets", "tickets:read").json["total"] == 0
    assert api.get(f"/api/tickets/{number}", "tickets:read",
                   "tickets:confidential").json["confidential"] is True


def test_bad_input_is_400_and_names_the_field(api):
    cases = [({"severity": 1}, "missing field type"),
             ({"type": "leak", "severity": 5}, "severity 5 is not 1 to 4"),
             ({"type": "leak", "severity": True}, "severity must be a whole number"),
             ({"type": "Leak!", "severity": 1}, "type must be a ticket type"),
             ({"type": "leak", "severity": 1, "account": "12ab"}, "account must be"),
             ({"type": "leak", "severity": 1, "colour": "red"}, "unknown field colour"),
             ({"type": "leak", "severity": 1, "fields": {"a": {"b": 1}}}, "field a must be")]
    for payload, says in cases:
        answer = api.post("/api/tickets", payload)
        assert answer.status_code == 400, payload
        assert answer.json["error"] == "bad_request"
        assert says in answer.json["detail"], (payload, answer.json)
    answer = api.client.post("/api/tickets", data="{not json", headers={
        **api.bearer(), "Content-Type": "application/json"})
    assert answer.status_code == 400 and answer.json["error"] == "bad_request"
    assert api.get("/api/tickets/12a").status_code == 400
    assert api.get("/api/tickets/999999").status_code == 404
    assert api.get("/api/tickets?page=0").status_code == 400
    assert api.get("/api/tickets?per_page=500").status_code == 400
    assert TicketRow.select().count() == 0


def test_sql_looking_input_is_stored_verbatim_and_changes_nothing_else(api):
    first = api.post("/api/tickets", LEAK).json["number"]
    evil = "x'); DROP TABLE ticket_row; --"
    made = api.post("/api/tickets", {"type": "complaint", "severity": 4, "note": evil,
                                     "team": "t' OR '1'='1",
                                     "fields": {"address": "1' OR 1=1; DELETE FROM customer"}})
    assert made.status_code == 201
    back = api.get(f"/api/tickets/{made.json['number']}").json
    assert back["fields"]["note"] == evil
    assert back["fields"]["address"] == "1' OR 1=1; DELETE FROM customer"
    assert back["team"] == "t' OR '1'='1"
    assert api.get("/api/tickets?account=12345678' OR '1'='1").status_code == 400
    assert api.get("/api/tickets?type=repair' OR 1=1 --").status_code == 400
    assert api.get("/api/tickets").json["total"] == 2
    assert api.get(f"/api/tickets/{first}").json["fields"]["note"] == LEAK["note"]
