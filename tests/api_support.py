"""Shared fixtures of the API's tests (tests/test_api*.py): the panel with the `/api/`
blueprint on a SQLite store that has the tokens' table (migration 10), demo
customers, and a helper that makes tokens.

    pytest_plugins = ["panel_support", "api_support"]

    def test_x(api):
        api.add_customer()                      # 12345678, meter M-0001 read at 1200.0
        headers = api.bearer("tickets:read")
        assert api.client.get("/api/tickets", headers=headers).status_code == 200
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.record import CallRecord, QueueVisit, Segment, Ticket
from panel.context import PanelContext
from store.apitokens import SCOPES, issue
from store.models.customers import Customer, Meter, MonthlyUsage, Phone, Reading
from store.records import StoreSink


def add_customer(account: str = "12345678", name: str = "王小明",
                 meter: str = "M-0001") -> Customer:
    """A residential customer with a meter read once and three months of usage."""
    c = Customer.create(account=account, name=name, customer_class="residential",
                        address="上海市浦东新区花木路100号", supply_area="200120",
                        pin_hash="x", balance=Decimal("12.50"))
    Phone.create(customer=c, number="13800000001", position=0)
    m = Meter.create(customer=c, number=meter, meter_type="smart", status="normal")
    Reading.create(meter=m, read_on=dt.date(2026, 10, 1), value=Decimal("1200.0"),
                   source="reader")
    for month, volume in ((8, "30.0"), (9, "28.5"), (10, "32.0")):
        MonthlyUsage.create(customer=c, month=dt.date(2026, month, 1), volume=Decimal(volume))
    return c


def add_call(call_id: str, caller: str, started: dt.datetime, agent: str | None) -> None:
    """A finished three-minute hotline call stored as the engine commits it; queued and
    answered by `agent` (None: not queued), a ticket opened on it."""
    end = started + dt.timedelta(minutes=3)
    StoreSink().commit(CallRecord(
        call_id=call_id, flow="hotline", caller=caller, called="95500", started_at=started,
        ended_at=end, end_reason="caller_hangup",
        segments=[Segment("hotline", started, end, "caller_hangup", node="agent")],
        queues=[QueueVisit("support@default", "general", 12000, "answered", agent,
                           started + dt.timedelta(seconds=12))] if agent else [],
        agent=agent, talk_ms=150000, path=["start", "main", "agent"], keys=[("main", "0")],
        collected={"account": "12345678"},
        tickets=[Ticket("261128000001", "repair", 3, False, None, {}, started, "agent")]))


@dataclasses.dataclass
class Api:
    app: Flask
    ctx: PanelContext
    client: FlaskClient

    add_customer = staticmethod(add_customer)
    add_call = staticmethod(add_call)

    def token(self, *scopes: str, name: str = "backoffice") -> str:
        """A new token with `scopes` (all of them when none is named)."""
        return issue(name, list(scopes or SCOPES), self.ctx.now()).token

    def bearer(self, *scopes: str, name: str = "backoffice") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(*scopes, name=name)}"}

    def get(self, url: str, *scopes: str, **kw: Any) -> Any:
        return self.client.get(url, headers=self.bearer(*scopes), **kw)

    def post(self, url: str, payload: Any, *scopes: str, **kw: Any) -> Any:
        return self.client.post(url, json=payload, headers=self.bearer(*scopes), **kw)


@pytest.fixture
def api(panel_app, panel_ctx) -> Api:
    return Api(panel_app, panel_ctx, panel_app.test_client())
