"""The whole demo service for the browser tests, and Debian's headless Chromium to drive it.

`demo` starts `switchflow serve --demo` once for the module (a child process on
free ports, a new SQLite database in a temporary folder, which the demo makes
and seeds): the fake FreeSWITCH inside it, demo callers every DEMO_CALLERS_S
seconds walking the hotline DEMO_SPEED times faster than life, and the panel
with the demo logins (panel/demo.py).

Chromium comes from Debian (/usr/bin/chromium with /usr/bin/chromedriver,
installed by .ci/run); nothing downloads a browser (Selenium Manager is never
asked: the driver's path is given and SE_OFFLINE is set). Without them the
tests are skipped, except under CI (the CI variable set), where they fail.
Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
DEMO_CALLERS_S = "2"
DEMO_SPEED = "5"
START_S = 60.0

def need_chromium() -> None:
    missing = [str(p) for p in (CHROMIUM, CHROMEDRIVER) if not p.exists()]
    if not missing:
        return
    why = (f"{' and '.join(missing)} missing: install Debian's chromium and chromium-driver "
           "(.ci/run does)")
    if os.environ.get("CI"):
        pytest.fail(why)
    pytest.skip(why)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


@dataclass
class Demo:
    url: str
    proc: subprocess.Popen
    log: Path

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Iterator[Demo]:
    need_chromium()
    folder = tmp_path_factory.mktemp("demo")     # a new database: the demo makes it
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT),
           "SWITCHFLOW_DB": f"sqlite:///{folder / 'switchflow.db'}",
           "SWITCHFLOW_PATHS_OUTBOX": str(folder / "outbox"),
           "SWITCHFLOW_PANEL_PORT": str(port),
           "SWITCHFLOW_OUTBOUND_PORT": str(free_port()),
           "SWITCHFLOW_SERVE_METRICS_PORT": str(free_port()),
           "SWITCHFLOW_SERVE_DRAIN": "1s",
           "SWITCHFLOW_DEMO_CALLERS": DEMO_CALLERS_S, "SWITCHFLOW_DEMO_SPEED": DEMO_SPEED}
    env.pop("SWITCHFLOW_PANEL_SECRET_KEY", None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    log = ARTIFACTS / "browser-serve.log"
    with log.open("wb") as out:
        proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--demo"], cwd=ROOT,
                                env=env, stdout=out, stderr=subprocess.STDOUT)
    made = Demo(f"http://127.0.0.1:{port}", proc, log)
    try:
        deadline = time.monotonic() + START_S
        while not (_answers(made.url + "/login") and "demo logins" in made.output()):
            assert proc.poll() is None, "serve --demo ended:\n" + made.output()
            assert time.monotonic() < deadline, "the demo panel did not come up:\n" + \
                made.output()
            time.sleep(0.2)
        yield made
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def chromium() -> Any:
    """Debian's Chromium, headless, through Debian's chromedriver (no download)."""
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1280,1100", "--lang=en-US"):
        options.add_argument(arg)
    return webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)


@pytest.fixture(scope="module")
def browser_factory() -> Iterator[Callable[[], Any]]:
    """Opens browsers (each its own session); all quit at the module's end."""
    need_chromium()
    opened: list[Any] = []

    def open_one() -> Any:
        driver = chromium()
        driver.set_page_load_timeout(20)
        opened.append(driver)
        return driver

    yield open_one
    for driver in opened:
        driver.quit()


@pytest.fixture
def screenshot() -> Callable[[Any, str], Path]:
    """Saves what a browser shows as tests/artifacts/browser-NAME.png."""
    def save(driver: Any, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"browser-{name}.png"
        driver.save_screenshot(str(path))
        return path
    return save
