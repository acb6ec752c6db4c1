"""The rendered Kamailio configuration, run for real: calls spread, a dead node leaves.

Two SIP "nodes" on loopback addresses stand in for FreeSWITCH: one answers
everything with 200, the other (a node that is failing) with 503. Kamailio
runs the rendered kamailio.cfg and dispatcher.list, probing every second.
Once the failing node has failed its probes, no call is offered to it any
more; when it answers again, it is back in the rotation.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest
from test_conf_render import FLOWS, agents_file, settings_from

from fsmod.config.render import render

KAMAILIO = shutil.which("kamailio") or ("/usr/sbin/kamailio"
                                        if os.path.exists("/usr/sbin/kamailio") else None)
pytestmark = pytest.mark.skipif(KAMAILIO is None,
                                reason="kamailio is not installed (Debian: kamailio)")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u, \
            socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
        u.bind(("127.0.0.1", 0))
        port = u.getsockname()[1]
        t.bind(("127.0.0.1", port))   # Kamailio listens on TCP as well
        return port


def headers(message: str) -> list[tuple[str, str]]:
    out = []
    for line in message.split("\r\n\r\n", 1)[0].split("\r\n")[1:]:
        name, _, value = line.partition(":")
        out.append((name.strip(), value.strip()))
    return out


def reply(request: str, code: int, reason: str) -> bytes:
    lines = [f"SIP/2.0 {code} {reason}"]
    for name, value in headers(request):
        low = name.lower()
        if low in ("via", "v", "from", "f", "call-id", "i", "cseq", "record-route"):
            lines.append(f"{name}: {value}")
        elif low in ("to", "t"):
            lines.append(f"{name}: {value}" + ("" if "tag=" in value else ";tag=node"))
    lines += ["Content-Length: 0", "", ""]
    return "\r\n".join(lines).encode()


class Node(threading.Thread):
    """A SIP endpoint that answers every request with `code` and records the methods."""

    def __init__(self, host: str, port: int, code: int):
        super().__init__(daemon=True)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((host, port))
        self.sock.settimeout(0.2)
        self.code = code
        self.seen: list[tuple[float, str]] = []
        self.running = True

    def run(self) -> None:
        while self.running:
            try:
                data, addr = self.sock.recvfrom(65535)
            except OSError:
                continue
            text = data.decode("utf-8", "replace")
            method = text.split(" ", 1)[0]
            if method in ("ACK", "SIP/2.0"):
                continue
            self.seen.append((time.monotonic(), method))
            self.sock.sendto(reply(text, self.code, "OK" if self.code == 200 else "Busy"), addr)

    def count(self, method: str, since: float = 0.0) -> int:
        return sum(1 for t, m in self.seen if m == method and t >= since)

    def stop(self) -> None:
        self.running = False
        self.join(1)
        self.sock.close()


def invite(kamailio_port: int, number: str = "95158") -> int:
    """Send one INVITE through Kamailio; the final status it answers."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        s.settimeout(5)
        port = s.getsockname()[1]
        call = uuid.uuid4().hex
        msg = (f"INVITE sip:{number}@127.0.0.1:{kamailio_port} SIP/2.0\r\n"
               f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{call[:12]};rport\r\n"
               "Max-Forwards: 70\r\n"
               f"From: <sip:13800000001@127.0.0.1:{port}>;tag={call[:8]}\r\n"
               f"To: <sip:{number}@127.0.0.1>\r\n"
               f"Call-ID: {call}\r\n"
               "CSeq: 1 INVITE\r\n"
               f"Contact: <sip:13800000001@127.0.0.1:{port}>\r\n"
               "Content-Length: 0\r\n\r\n")
        s.sendto(msg.encode(), ("127.0.0.1", kamailio_port))
        while True:
            data = s.recv(65535).decode("utf-8", "replace")
            code = int(data.split(" ", 2)[1])
            if code >= 200:
                return code


def wait_for(predicate, timeout: float) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture
def running(tmp_path: Path):
    sip_port, kam_port = free_port(), free_port()
    out = tmp_path / "out"
    settings = settings_from(tmp_path, f"""\
[outbound]
host = "10.0.0.5"
[freeswitch]
esl_listen = "0.0.0.0"
sip_port = {sip_port}
[kamailio]
listen = "127.0.0.1"
port = {kam_port}
probe_interval = "1s"
config_dir = "{out / 'kamailio'}"
[nodes]
good = "127.0.0.2"
failing = "127.0.0.3"
""")
    render(settings, FLOWS, agents_file(tmp_path), out)
    good, failing = Node("127.0.0.2", sip_port, 200), Node("127.0.0.3", sip_port, 503)
    good.start()
    failing.start()
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    proc = subprocess.Popen([KAMAILIO, "-f", str(out / "kamailio/kamailio.cfg"), "-DD", "-E",
                             "-m", "32", "-M", "4", "-Y", str(run_dir),
                             "-P", str(run_dir / "kamailio.pid")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield kam_port, good, failing, proc
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
        good.stop()
        failing.stop()


def test_a_failing_node_leaves_the_rotation_and_comes_back(running):
    kam_port, good, failing, proc = running
    # both nodes are probed
    assert wait_for(lambda: good.count("OPTIONS") >= 1 and failing.count("OPTIONS") >= 2, 10), \
        proc.stderr.read1(4000) if proc.poll() is not None else "no probes"
    assert wait_for(lambda: failing.count("OPTIONS") >= 3, 5)   # two failed probes and one more
    after = time.monotonic()
    codes = [invite(kam_port) for _ in range(6)]
    assert codes == [200] * 6                  # every call answered, by the good node
    assert good.count("INVITE", after) == 6
    assert failing.count("INVITE", after) == 0  # out of the rotation
    # a number that is not a flow's is refused by Kamailio itself
    assert invite(kam_port, "12345") == 404
    # the node recovers: answered probes put it back
    failing.code = 200
    mark = time.monotonic()
    assert wait_for(lambda: failing.count("OPTIONS", mark) >= 3, 8)
    back = time.monotonic()
    codes = [invite(kam_port) for _ in range(6)]
    assert codes == [200] * 6
    assert failing.count("INVITE", back) >= 2   # round-robin over both again
