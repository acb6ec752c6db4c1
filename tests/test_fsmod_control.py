"""The control connection over real TCP against the fake FreeSWITCH: auth,
api deadlines, bgapi jobs, reconnect with backoff, the heartbeat watchdog,
shutdown, and the engine's Switch (`FsSwitch.watch`)."""

from __future__ import annotations

import itertools
import time

import gevent
import pytest
from fakeswitch import OutboundServer

from engine.settings import SettingsError, load_settings
from fsmod.commands.api import ApiCommand
from fsmod.control import (
    ApiTimeout,
    AuthFailed,
    Control,
    ControlConfig,
    FsSwitch,
    LinkLost,
    LinkState,
    LinkTiming,
    NodeConfig,
    control_config,
)
from fsmod.fake import FakeFreeSWITCH

SCALE = 0.1
TIMING = LinkTiming(api_timeout=1.0, heartbeat_interval=0.2, heartbeat_misses=3,
                    reconnect_min=0.02, reconnect_max=0.1, lost_grace=1.0, connect_timeout=2.0)


def make(fake: FakeFreeSWITCH, password: str = "ClueCon", timing: LinkTiming = TIMING,
         **extra: FakeFreeSWITCH) -> Control:
    nodes = [NodeConfig("fs", "127.0.0.1", fake.port, password)]
    nodes += [NodeConfig(name, "127.0.0.1", other.port, password) for name, other in extra.items()]
    return Control(ControlConfig(tuple(nodes), timing))


@pytest.fixture
def fake():
    switch = FakeFreeSWITCH(scale=SCALE, heartbeat=2.0).start()   # a heartbeat every 0.2 s
    yield switch
    switch.stop()


@pytest.fixture
def control(fake):
    ctl = make(fake).start()
    assert ctl.wait_up(3)
    yield ctl
    ctl.stop()


def until(test, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not test():
        assert time.monotonic() < deadline, "condition not reached in time"
        gevent.sleep(0.01)


def park_call(control: Control) -> str:
    body = control.api(ApiCommand("originate loopback/7000 &park()"))
    assert body.startswith("+OK "), body
    return body.split()[1]


# ---- auth, api, jobs ---------------------------------------------------------------------


def test_auth_ok_and_api(control):
    assert control.is_up
    assert control.api(ApiCommand("status")).startswith("UP ")
    [node] = control.status()
    assert (node.name, node.state, node.ups, node.drops) == ("fs", "up", 1, 0)


def test_wrong_password_is_a_clear_error_and_never_retried(fake):
    ctl = make(fake, password="wrong").start()
    with pytest.raises(AuthFailed, match=r"refused the event-socket password.*\[esl\] password"):
        ctl.wait_up(3)
    gevent.sleep(0.3)
    link = ctl.links["fs"]
    assert (link.state, link.attempts) == (LinkState.AUTH_FAILED, 1)
    with pytest.raises(LinkLost):
        ctl.api(ApiCommand("status"))
    ctl.stop()


def test_settings_refuse_no_password_outside_demo(tmp_path):
    with pytest.raises(SettingsError, match=r"esl\.password is not set"):
        control_config(load_settings(env={}))
    s = load_settings(env={"SWITCHFLOW_ESL_PASSWORD": "pw",
                           "SWITCHFLOW_ESL_NODES": "fs2=10.0.0.2:8021,fs3=10.0.0.3:8022",
                           "SWITCHFLOW_ESL_HEARTBEAT_MISSES": "4"})
    config = control_config(s)
    assert [(n.name, n.host, n.port) for n in config.nodes] == [
        ("fs", "127.0.0.1", 8021), ("fs2", "10.0.0.2", 8021), ("fs3", "10.0.0.3", 8022)]
    assert config.timing.silence_limit == 80.0
    with pytest.raises(SettingsError, match=r"esl\.nodes"):
        load_settings(env={"SWITCHFLOW_ESL_NODES": "fs2=10.0.0.2"})


def test_stalled_reply_meets_its_deadline_and_the_silent_link_is_replaced(fake, control):
    fake.stalled = True
    started = time.monotonic()
    with pytest.raises(ApiTimeout, match=r"within 0\.3 s"):
        control.api(ApiCommand("status"), timeout=0.3)
    assert time.monotonic() - started < 0.5
    # the stall also holds the heartbeats: the watchdog calls the link dead
    until(lambda: control.links["fs"].drops >= 1, 3)
    fake.stalled = False
    until(lambda: control.is_up and control.links["fs"].ups >= 2, 5)
    assert control.api(ApiCommand("status")).startswith("UP ")


def test_heartbeat_loss_reconnects():
    quiet = FakeFreeSWITCH(scale=SCALE, heartbeat=None).start()
    ctl = make(quiet).start()
    try:
        assert ctl.wait_up(3)
        until(lambda: ctl.links["fs"].drops >= 2, 5)     # 0.6 s of silence each time
        assert "no HEARTBEAT" in ctl.links["fs"].last_error or ctl.links["fs"].ups >= 2
    finally:
        ctl.stop()
        quiet.stop()


def test_jobs_are_matched_by_job_uuid_out_of_order(fake, control):
    fake.originate_outcomes.update({"loopback/busy": "USER_BUSY", "loopback/gone": "CALL_REJECTED"})

    def slow(endpoint, variables):
        gevent.sleep(0.3)
        from fsmod.fake import CallScript
        return CallScript(destination="slow")
    fake.on_originate = slow
    finished: list[str] = []
    jobs = {
        "slow": control.bgapi(ApiCommand("originate loopback/slow &park()")),
        "busy": control.bgapi(ApiCommand("originate loopback/busy &park()")),
        "status": control.bgapi(ApiCommand("status")),
        "gone": control.bgapi(ApiCommand("originate loopback/gone &park()")),
    }

    def wait(name):
        body = jobs[name].wait(3)
        finished.append(name)
        return body
    greenlets = {name: gevent.spawn(wait, name) for name in jobs}
    gevent.joinall(list(greenlets.values()), timeout=5)
    got = {name: g.value for name, g in greenlets.items()}
    assert got["busy"] == "-ERR USER_BUSY\n"
    assert got["gone"] == "-ERR CALL_REJECTED\n"
    assert got["status"].startswith("UP ")
    assert got["slow"].startswith("+OK ")
    assert finished[-1] == "slow"                   # sent first, finished last
    assert len({j.job_uuid for j in jobs.values()}) == 4


# ---- reconnect, backoff, shutdown --------------------------------------------------------


def test_backoff_grows_with_jitter_while_the_switch_is_away(fake):
    ctl = make(fake).start()
    assert ctl.wait_up(3)
    attempts: list[float] = []
    ctl.subscribe(on_state=lambda node, state: state == LinkState.CONNECTING
                  and attempts.append(time.monotonic()))
    port = fake.port
    fake.kill()
    gevent.sleep(1.0)
    gaps = [b - a for a, b in itertools.pairwise(attempts)]
    assert 5 <= len(attempts) <= 30, attempts
    # waits double from 0.02 s up to 0.1 s, each jittered down to half (plus scheduling)
    assert gaps[0] < TIMING.reconnect_max * 0.8 and max(gaps) > TIMING.reconnect_max * 0.45
    assert max(gaps) <= TIMING.reconnect_max + 0.1
    assert ctl.links["fs"].state in (LinkState.DOWN, LinkState.CONNECTING)
    back = FakeFreeSWITCH(scale=SCALE, heartbeat=2.0, port=port).start()
    try:
        until(lambda: ctl.is_up, 3)
    finally:
        ctl.stop()
        back.stop()


def test_hundred_drops_every_watched_call_returns(fake, control):
    switch = FsSwitch(control, audit_interval=0)
    calls = [park_call(control) for _ in range(10)]
    watchers = {uuid: gevent.spawn(switch.watch, uuid) for uuid in calls}
    gevent.sleep(0.05)
    ended_while_down: set[str] = set()
    link = control.links["fs"]
    for n in range(100):
        fake.drop()
        until(lambda n=n: link.drops == n + 1, 5)
        if n % 10 == 0 and len(ended_while_down) < 5:
            uuid = calls[len(ended_while_down)]
            fake.calls[uuid].hangup("NORMAL_CLEARING")     # its end is never seen
            ended_while_down.add(uuid)
        until(lambda: control.is_up, 5)
    assert control.links["fs"].ups == 101 and control.links["fs"].drops == 100
    until(lambda: all(watchers[u].ready() for u in ended_while_down), 5)
    for uuid in calls:
        if uuid not in ended_while_down:
            assert not watchers[uuid].ready()
            control.api(ApiCommand(f"uuid_kill {uuid} USER_BUSY"))
    gevent.joinall(list(watchers.values()), timeout=5)
    for uuid, g in watchers.items():
        end = g.value
        assert end is not None, uuid
        if uuid in ended_while_down:
            assert end.hangup_by == "switch"
        else:
            assert (end.cause, end.hangup_by) == ("USER_BUSY", "caller")


def test_a_link_that_stays_down_ends_watches_with_hangup_by_switch(fake, control):
    switch = FsSwitch(control, audit_interval=0)
    uuid = park_call(control)
    watcher = gevent.spawn(switch.watch, uuid)
    gevent.sleep(0.05)
    fake.kill()
    end = watcher.get(timeout=TIMING.lost_grace + 2)
    assert end.hangup_by == "switch"


def test_shutdown_is_told_apart_and_calls_end_with_system_shutdown(fake, control, caplog):
    switch = FsSwitch(control, audit_interval=0)
    uuid = park_call(control)
    watcher = gevent.spawn(switch.watch, uuid)
    gevent.sleep(0.05)
    fake.shutdown()
    end = watcher.get(timeout=3)
    assert (end.cause, end.hangup_by) == ("SYSTEM_SHUTDOWN", "switch")
    until(lambda: not control.is_up, 3)
    assert "shut" in control.links["fs"].last_error
    assert any("shutting down" in r.getMessage() for r in caplog.records)


def test_end_before_watch_is_kept_and_reused_uuid_ends_go_in_order(fake, control):
    switch = FsSwitch(control, audit_interval=0)
    uuid = park_call(control)
    control.api(ApiCommand(f"uuid_kill {uuid} CALL_REJECTED"))
    gevent.sleep(0.2)
    end = switch.watch(uuid)                       # the end came first: kept
    assert (end.cause, end.hangup_by) == ("CALL_REJECTED", "caller")
    assert end.ended_at.tzinfo is not None


def test_several_nodes_each_with_its_link():
    one = FakeFreeSWITCH(scale=SCALE, heartbeat=2.0).start()
    two = FakeFreeSWITCH(scale=SCALE, heartbeat=2.0).start()
    ctl = make(one, fs2=two).start()
    try:
        assert ctl.wait_up(3)
        assert [s.name for s in ctl.status()] == ["fs", "fs2"]
        two.drop()
        until(lambda: ctl.links["fs2"].drops == 1, 3)
        until(lambda: ctl.is_up, 3)
        assert ctl.links["fs"].drops == 0
        assert ctl.api(ApiCommand("status"), "fs2").startswith("UP ")
    finally:
        ctl.stop()
        one.stop()
        two.stop()


def test_outbound_server_fixture_is_available():
    server = OutboundServer()
    server.stop()


def test_json_events_work_the_same(fake):
    ctl = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", fake.port, "ClueCon"),), TIMING),
                  event_format="json").start()
    try:
        assert ctl.wait_up(3)
        switch = FsSwitch(ctl, audit_interval=0)
        uuid = park_call(ctl)
        job = ctl.bgapi(ApiCommand(f"uuid_kill {uuid} NO_USER_RESPONSE"))
        assert job.wait(2) == "+OK\n"
        end = switch.watch(uuid)
        assert (end.cause, end.hangup_by) == ("NO_USER_RESPONSE", "caller")
    finally:
        ctl.stop()


def test_audit_ends_a_watch_whose_end_event_was_lost(fake, control):
    switch = FsSwitch(control, audit_interval=0.2).start()
    uuid = park_call(control)
    watcher = gevent.spawn(switch.watch, uuid)
    gevent.sleep(0.05)
    call = fake.calls[uuid]
    call.gone = True                        # the channel vanishes without its events
    fake.forget(call)
    end = watcher.get(timeout=3)
    assert end.hangup_by == "switch"
    switch.stop()


def test_filters_narrow_what_the_link_hears(fake):
    wanted = (("Event-Name", "BACKGROUND_JOB"), ("Event-Name", "HEARTBEAT"),
              ("Event-Name", "CHANNEL_HANGUP_COMPLETE"))
    ctl = Control(ControlConfig((NodeConfig("fs", "127.0.0.1", fake.port, "ClueCon"),), TIMING),
                  filters=wanted).start()
    heard: list[str] = []
    ctl.subscribe(lambda node, event: heard.append(event.name))
    try:
        assert ctl.wait_up(3)
        switch = FsSwitch(ctl, audit_interval=0)
        uuid = park_call(ctl)
        assert ctl.api(ApiCommand("callcenter_config agent add 1@default")) == "+OK\n"
        switch.attribute(uuid, "fs")
        assert switch.node_of(uuid) == "fs"
        ctl.api(ApiCommand(f"uuid_kill {uuid}"))
        assert switch.watch(uuid).cause == "NORMAL_CLEARING"
        gevent.sleep(0.7)                        # past the watchdog's limit: heartbeats pass
        assert ctl.links["fs"].drops == 0
        assert set(heard) == {"CHANNEL_HANGUP_COMPLETE"}
    finally:
        ctl.stop()


def test_a_password_that_cannot_be_sent_is_a_clear_error(fake):
    ctl = make(fake, password="two words").start()
    with pytest.raises(AuthFailed, match=r"cannot be sent.*without spaces"):
        ctl.wait_up(3)
    assert ctl.links["fs"].attempts == 1
    ctl.stop()
