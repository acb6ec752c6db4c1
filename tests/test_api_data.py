"""Customers, usage, call records and meter readings through the API: a submitted reading
shows on the customer's account; retries, readings going backwards and unknown meters
are told apart; SQL-looking input changes nothing."""

from __future__ import annotations

import datetime as dt

from store.models.backoffice import SubmitRow
from store.models.customers import Customer, Reading

pytest_plugins = ["panel_support", "api_support"]


def test_a_submitted_reading_shows_on_the_customers_account(api):
    api.add_customer()
    before = api.get("/api/customers/12345678", "customers:read").json
    assert before["meter"]["last_reading"] == 1200.0
    stored = api.post("/api/readings", {"account": "12345678", "value": "1234.5",
                                        "read_on": "2026-11-27"}, "readings:write")
    assert stored.status_code == 201, stored.json
    assert stored.json == {"account": "12345678", "meter": "M-0001", "read_on": "2026-11-27",
                           "value": 1234.5, "source": "reader",
                           "reference": stored.json["reference"], "created": True}
    assert stored.json["reference"].startswith("meter_reading-")
    meter = api.get("/api/customers/12345678", "customers:read").json["meter"]
    assert (meter["last_reading"], meter["last_reading_on"], meter["last_reading_source"]) == (
        1234.5, "2026-11-27", "reader")
    write = SubmitRow.get()
    assert (write.flow, write.node, write.reference) == ("api", "token:backoffice",
                                                         stored.json["reference"])


def test_a_retry_is_stored_once_and_conflicts_are_409(api):
    api.add_customer()
    first = api.post("/api/readings", {"account": "12345678", "value": 1250})
    assert first.status_code == 201 and first.json["read_on"] == "2026-11-28"   # local today
    again = api.post("/api/readings", {"account": "12345678", "value": 1250.0})
    assert again.status_code == 200
    assert again.json["reference"] == first.json["reference"] and not again.json["created"]
    other = api.post("/api/readings", {"account": "12345678", "value": 1251})
    assert other.status_code == 409 and "already has 1250.0 m³" in other.json["detail"]
    lower = api.post("/api/readings", {"account": "12345678", "value": 1100,
                                       "read_on": "2026-11-20"})
    assert lower.status_code == 409 and "lower than" in lower.json["detail"]
    assert Reading.select().count() == 2


def test_bad_readings_are_400_and_unknown_ones_404(api):
    api.add_customer()
    cases = [({"account": "12345678", "value": -1}, 400),
             ({"account": "12345678", "value": 1.25}, 400),
             ({"account": "12345678", "value": "12,5"}, 400),
             ({"account": "12345678", "value": True}, 400),
             ({"account": "12345678", "value": 1300, "read_on": "2026-11-29"}, 400),
             ({"account": "12345678", "value": 1300, "read_on": "2026-02-30"}, 400),
             ({"account": "12345678", "value": 1300, "source": "backoffice"}, 400),
             ({"account": "99999999", "value": 1300}, 404),
             ({"account": "12345678", "value": 1300, "meter": "M-9999"}, 404)]
    for payload, status in cases:
        answer = api.post("/api/readings", payload)
        assert answer.status_code == status, (payload, answer.json)
    assert Reading.select().count() == 1 and SubmitRow.select().count() == 0


def test_sql_looking_readings_change_nothing(api):
    api.add_customer()
    api.add_customer("87654321", name="李四", meter="M-0002")
    for payload in ({"account": "12345678' OR '1'='1", "value": 1},
                    {"account": "12345678", "value": "1; DELETE FROM reading"},
                    {"account": "12345678", "value": 1300, "meter": "M-0002' OR '1'='1"},
                    {"account": "12345678", "value": 1300, "meter": "M-0002"}):
        assert api.post("/api/readings", payload).status_code in (400, 404), payload
    assert Reading.select().count() == 2 and Customer.select().count() == 2
    assert api.get("/api/customers/12345678' OR '1'='1").status_code == 400


def test_a_customers_account_and_usage(api):
    api.add_customer()
    c = api.get("/api/customers/12345678", "customers:read")
    assert c.status_code == 200
    body = c.json
    assert (body["name"], body["status"], body["phones"], body["balance"]) == (
        "王小明", "active", ["13800000001"], 12.5)
    assert "pin_hash" not in body and "pin" not in str(body).lower().replace("spin", "")
    usage = api.get("/api/customers/12345678/usage?per_page=2", "customers:read").json
    assert usage["total"] == 3
    assert [(m["month"], m["volume"]) for m in usage["items"]] == [("2026-10-01", 32.0),
                                                                  ("2026-09-01", 28.5)]
    since = api.get("/api/customers/12345678/usage?since=2026-09-15").json
    assert [m["month"] for m in since["items"]] == ["2026-10-01", "2026-09-01"]
    assert api.get("/api/customers/99999999").status_code == 404
    assert api.get("/api/customers/99999999/usage").status_code == 404
    assert api.get("/api/customers/12ab").status_code == 400


def test_call_records_are_listed_and_read(api):
    base = dt.datetime(2026, 11, 27, 2, 0, tzinfo=dt.UTC)            # 10:00 in Shanghai
    api.add_call("c-1", "13800000001", base, "1001@default")
    api.add_call("c-2", "13900000002", base + dt.timedelta(hours=1), None)
    api.add_call("c-3", "13800000001", base - dt.timedelta(days=1), "1002@default")
    listed = api.get("/api/calls?caller=13800000001", "calls:read").json
    assert [c["call_id"] for c in listed["items"]] == ["c-1", "c-3"]
    assert listed["items"][0]["started_at"] == "2026-11-27T10:00:00+08:00"
    day = api.get("/api/calls?since=2026-11-27&until=2026-11-27").json
    assert [c["call_id"] for c in day["items"]] == ["c-2", "c-1"]
    assert api.get("/api/calls?agent=1002@default").json["total"] == 1
    one = api.get("/api/calls/c-1", "calls:read").json
    assert one["path"] == ["start", "main", "agent"] and one["keys"] == [["main", "0"]]
    assert one["queues"][0]["agent"] == "1001@default"
    assert one["tickets"][0]["id"] == "261128000001"
    assert "trace" not in one
    assert api.get("/api/calls/nope").status_code == 404
    assert api.get("/api/calls?since=2026-11-28&until=2026-11-27").status_code == 400
    assert api.get("/api/calls?caller=1' OR '1'='1").status_code == 400


def test_an_unknown_query_parameter_is_refused_naming_what_the_operation_takes(api):
    answer = api.get("/api/calls?per-page=5", "calls:read")
    assert answer.status_code == 400
    assert answer.get_json()["detail"].startswith("unknown query parameter 'per-page': this "
                                                  "operation takes agent, caller, flow, page, "
                                                  "per_page, since, until")
