"""The service's telephony side on FreeSWITCH: the outbound socket server and the
control links (one per node), and in demo mode the fake FreeSWITCH in this process.

- Lines: fsmod.server.OutboundServer listens where [outbound] says (the
  dialplan's `socket HOST:PORT async full`, and originate's `&socket(...)`);
  each session becomes an ESLChannel handed to the service, with the node it
  came from: the configured node whose host is the peer's address, else the
  switch's own name (FreeSWITCH-Hostname in the call's data).
- Ends: fsmod.control.FsSwitch over fsmod.control.Control (several nodes,
  reconnects, heartbeats) tells the engine when each call really ended;
  closing stops it, which returns every watch (hangup_by "switch").
- Demo mode: a FakeFreeSWITCH (fsmod/fake) on an ephemeral port takes the
  place of the node; `fake.place_call(script, host, outbound_port)` (the
  whole-service demo's callers, to come) lands in the engine as a real
  call would.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import logging
import time
from collections.abc import Callable
from typing import Any

import gevent

from engine.settings import Settings
from fsmod.audio.layout import ROOT as SOUNDS_ROOT
from fsmod.channel.channel import ESLChannel, Limits
from fsmod.channel.session import Timeouts
from fsmod.channel.sound import Voice
from fsmod.commands.api import ApiCommand
from fsmod.control import Control, ControlError, FsSwitch, control_config
from fsmod.esl.events import Event
from fsmod.server import OutboundServer
from fsmod.vocab import EventName

from .status import NodeStatus

log = logging.getLogger(__name__)

PROBE_EVERY_S = 15.0     # `api status` on each link that is up: the command round trip measured


class FreeSwitchTelephony:
    """Outbound server + control links, for fsmod.service.Service."""

    def __init__(self, settings: Settings, *, demo_switch: Any = None) -> None:
        """`demo_switch`: the fake FreeSWITCH the demo runs against (already started)."""
        self.settings = settings
        self.demo_switch = demo_switch
        self.config = control_config(settings)
        self.control = Control(self.config)
        self.switch = FsSwitch(self.control)
        self.server: OutboundServer | None = None
        self._probe: gevent.Greenlet | None = None
        self._hosts = {node.host: node.name for node in self.config.nodes}

    @classmethod
    def demo(cls, settings: Settings, *, scale: float = 1.0) -> FreeSwitchTelephony:
        """Against a fake FreeSWITCH started here (password and ports its own)."""
        from fsmod.fake.switch import FakeFreeSWITCH

        fake = FakeFreeSWITCH(scale=scale).start()
        # the fake's own address and password, whatever [esl] says for the real nodes
        esl = dataclasses.replace(settings.esl, host="127.0.0.1", port=fake.port,
                                  password=fake.password)
        settings = dataclasses.replace(   # the one node: the fake, whatever [nodes] says
            settings, esl=esl, nodes={}, engine=dataclasses.replace(settings.engine, demo=True))
        side = cls(settings, demo_switch=fake)
        return side

    @property
    def outbound_port(self) -> int:
        assert self.server is not None, "start() first"
        return self.server.port

    def start(self, lines: Any, round_trip: Callable[[str, float], None] | None = None, *,
              call_commands: Callable[[str, str, str, float], None] | None = None) -> None:
        self.control.start()
        self.switch.start()
        if round_trip is not None:
            self._probe = gevent.spawn(self._probe_links, round_trip)

        def handle(channel: ESLChannel) -> None:
            node = self._node_of(channel)
            self.switch.attribute(channel.uuid, node)
            channel.session.on_event = self._own_end(node)
            if call_commands is not None:
                channel.session.on_round_trip = functools.partial(call_commands, node)
            lines(channel, node=node)

        timeouts, limits = call_timing(self.settings)
        self.server = OutboundServer(handle, host=self.config.outbound_host,
                                     port=self.config.outbound_port,
                                     max_calls=self.settings.outbound.max_calls,
                                     timeouts=timeouts, limits=limits,
                                     voice=node_voice(self.settings),
                                     recordings=self.settings.freeswitch.recordings_dir,
                                     listener_for=self._engine_hangups)
        self.server.start()
        log.info("outbound socket server on %s:%d; control links to %s",
                 self.config.outbound_host, self.server.port,
                 ", ".join(f"{n.name}={n.host}:{n.port}" for n in self.config.nodes))

    def _own_end(self, node: str) -> Callable[[Event], None]:
        """The call's own end as its socket session hears it: counted (once) by the
        switch, so a call that ends while the control link is down keeps its real cause."""
        def heard(event: Event) -> None:
            if event.name == EventName.CHANNEL_HANGUP_COMPLETE:
                self.switch.observe(node, event)
        return heard

    def _engine_hangups(self, uuid: str) -> Callable[[str, Any], None]:
        """The line's own events: when the engine hangs it up (a flow's `hangup`, the
        shutdown), the switch is told, so the call's end says the engine ended it."""
        def heard(kind: str, value: Any) -> None:
            if kind == "hangup":
                self.switch.note_engine_hangup(uuid)
        return heard

    def _node_of(self, channel: ESLChannel) -> str:
        with contextlib.suppress(OSError, AttributeError):
            peer = channel.session.conn.sock.getpeername()[0]
            if peer in self._hosts:
                return self._hosts[peer]
        data = channel.session.data
        return (data.get("FreeSWITCH-Hostname") if data is not None else None) or ""

    def _probe_links(self, round_trip: Callable[[str, float], None]) -> None:
        """Time an `api status` on every link that is up, every PROBE_EVERY_S."""
        with contextlib.suppress(ControlError):
            self.control.wait_up(PROBE_EVERY_S)
        while True:
            for name, link in self.control.links.items():
                if not link.is_up:
                    continue
                started = time.perf_counter()
                try:
                    link.api(ApiCommand("status"))
                except ControlError as exc:
                    log.warning("%s: the round-trip probe failed: %s", name, exc)
                    continue
                round_trip("api", time.perf_counter() - started)
            gevent.sleep(PROBE_EVERY_S)

    def stop_accepting(self) -> None:
        if self.server is not None:
            # the listening socket closes; sessions already running go on
            self.server._server.close()

    def nodes(self) -> list[NodeStatus]:
        out = []
        for s in self.control.status():
            detail = s.last_error if s.state != "up" else (
                f"heartbeat {s.last_heartbeat_age:.0f} s ago"
                if s.last_heartbeat_age is not None else "")
            out.append(NodeStatus(s.name, f"{s.host}:{s.port}", s.state == "up",
                                  detail or s.state))
        return out

    def close(self) -> None:
        if self._probe is not None:
            self._probe.kill(block=False)
        self.switch.stop()
        if self.server is not None:
            self.server.stop(timeout=1)
        self.control.stop()
        if self.demo_switch is not None:
            self.demo_switch.stop()


def node_voice(settings: Settings) -> Voice:
    """Where the nodes find the prompts `switchflow prompts build` made: the built
    folder installed at `[freeswitch] sounds_dir` (fsmod/audio/layout.py); and the
    nodes' TTS engine and default voice for text without a prompt file."""
    fs = settings.freeswitch
    return Voice(prompts=f"{fs.sounds_dir.rstrip('/')}/{SOUNDS_ROOT}",
                 tts_engine=fs.tts_engine or None, tts_voice=fs.tts_voice)


def call_timing(settings: Settings) -> tuple[Timeouts, Limits]:
    """The deadlines of each call's socket session, from [outbound] (milliseconds there,
    seconds here); the limits settings do not name keep their defaults."""
    out = settings.outbound
    timeouts = Timeouts(connect=out.connect_timeout / 1000, reply=out.reply_timeout / 1000,
                        after_hangup=out.after_hangup / 1000)
    limits = Limits(command=out.execute_timeout / 1000, record_extra=out.execute_margin / 1000)
    return timeouts, limits
