"""`switchflow dispatch roster|status` and `ticket show` as an operator reads them."""

from __future__ import annotations

import datetime as dt

from click.testing import CliRunner

from cli.main import cli
from engine.dispatch import DispatchPolicy, load_roster
from engine.dispatch.worker import dispatch_pass
from store.tickets.service import TicketService

START = dt.datetime(2026, 11, 30, 1, 0, tzinfo=dt.UTC)       # Monday 09:00 in Shanghai


class NoAnswer:
    def place(self, request) -> str:
        return "no_answer"


def test_roster_shows_the_call_order_and_who_is_on_duty_at_a_time():
    result = CliRunner().invoke(cli, ["dispatch", "roster", "--team", "emergency",
                                      "--at", "2026-11-30 21:00"], env={})
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "emergency: 2 of 3 on duty" in lines
    assert lines[2].startswith("  1. off duty  王伟 (wang.wei)  13900000011")
    assert lines[3].startswith("  2. on duty   赵磊 (zhao.lei)")


def test_a_broken_roster_is_one_line_naming_the_file_and_entry(tmp_path):
    bad = tmp_path / "crew.toml"
    bad.write_text('[[teams.x]]\nid = "a"\nname = "A"\nphone = "139"\nhours = "mon 25:00-26:00"\n')
    result = CliRunner().invoke(cli, ["dispatch", "roster"],
                                env={"SWITCHFLOW_DISPATCH_CREW": str(bad)})
    assert result.exit_code == 1
    assert f"{bad}: teams.x entry 1: hours" in result.output
    assert "Traceback" not in result.output


def test_status_and_ticket_show_list_the_calls_made(store_db, db_url):
    desk = TicketService(lambda: START)
    number = desk.create("repair", 2, who="agent", fields={"callback": "13800000001"}).number
    desk.dispatch(number, who="dispatcher", team="emergency")
    roster = load_roster("conf/crew.toml")
    dispatch_pass(START, roster, DispatchPolicy(), NoAnswer(), ("repair",))
    env = {"SWITCHFLOW_DB": db_url}
    status = CliRunner().invoke(cli, ["dispatch", "status"], env=env)
    assert status.exit_code == 0, status.output
    assert f"ticket {number}  team emergency  calling" in status.output
    assert "1. 2026-11-30 09:00 CST  王伟 (wang.wei) call 1: no answer" in status.output
    shown = CliRunner().invoke(cli, ["ticket", "show", number], env=env)
    assert "voice dispatch" in shown.output and "王伟 (wang.wei) call 1: no answer" in \
        shown.output
    other = CliRunner().invoke(cli, ["dispatch", "status", "--ticket", "12x"], env=env)
    assert other.exit_code == 2 and "is not a ticket number" in other.output
