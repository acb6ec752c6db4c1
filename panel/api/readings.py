"""/api/readings: meter readings from the back office (store/meterreadings.py stores them)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask import Blueprint, Response, jsonify

from panel.api import params
from panel.api.auth import api_requires, current_token
from panel.api.errors import ApiError
from panel.api.shapes import plain
from panel.context import panel_context
from store.meterreadings import ReadingIn, ReadingRefused, reading_value, submit_reading

STATUS = {"input": 400, "unknown": 404, "conflict": 409}


def register(bp: Blueprint) -> None:

    @bp.post("/readings")
    @api_requires("readings:write")
    def submit() -> tuple[Response, int]:
        """Store a meter's reading: 201 when new, 200 when the same reading was stored
        before (a retry), with the write's reference."""
        data = params.body({"account": str, "value": (int, float, str), "read_on": str,
                            "source": str, "meter": str}, required=("account", "value"))
        ctx = panel_context()
        now = ctx.now()
        today = now.astimezone(ZoneInfo(ctx.settings.engine.timezone)).date()
        meter = data.get("meter")
        if meter is not None and not 1 <= len(meter) <= 30:
            raise ApiError(400, "meter must be a meter number of 1 to 30 characters")
        try:
            reading = ReadingIn(
                account=params.account(data["account"]), value=reading_value(data["value"]),
                read_on=(params.parse_day(data["read_on"], "read_on") if "read_on" in data
                         else today),
                source=data.get("source", "reader"), meter=meter)
            stored = submit_reading(reading, sender=current_token().name, today=today, now=now)
        except ReadingRefused as e:
            raise ApiError(STATUS[e.kind], str(e)) from None
        answer = {"account": stored.account, "meter": stored.meter,
                  "read_on": plain(stored.read_on), "value": plain(stored.value),
                  "source": stored.source, "reference": stored.reference,
                  "created": stored.created}
        return jsonify(answer), 201 if stored.created else 200
