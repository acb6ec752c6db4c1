"""The demo as a new user meets it, in headless Chromium: an agent logs in, sets
Available and a queued caller's record pops up with the caller's customer; a
ticket is made from that call and dispatched; a supervisor, in a second
browser, sees the agent's status change on the wallboard.

The demo service (conftest.py) runs the panel against the fake FreeSWITCH with
callers walking the hotline; the agent answers only the desk queues, where
every caller has keyed in a demo account, so the customer on the screen-pop
must be that account's.
"""

from __future__ import annotations

from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait

# the demo accounts' customers (store/seed.py, engine/demo.py)
CUSTOMERS = {"12345678": "张伟", "11223344": "李娜", "87654321": "上海浦江大酒店",
             "55667788": "王芳"}
AGENT = "1001@default"            # agent1's mod_callcenter agent (panel/demo.py)
WAIT_S = 20


def log_in(driver: Any, url: str, username: str, password: str) -> None:
    driver.get(url + "/login")
    driver.find_element(By.NAME, "username").send_keys(username)
    driver.find_element(By.NAME, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "button[type=submit]").click()


def text_of(driver: Any, css: str) -> str:
    found = driver.find_elements(By.CSS_SELECTOR, css)
    return found[0].text.strip() if found else ""


def wait_text(driver: Any, css: str, want: str, timeout: float = WAIT_S) -> None:
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(
            lambda d: text_of(d, css) == want)
    except Exception:
        pytest.fail(f"{css} shows {text_of(driver, css)!r}, not {want!r}, after {timeout} s")


def fill_type_fields(driver: Any) -> None:
    """The chosen ticket type's own fields that are needed: the first choice of a list,
    a plain value otherwise (the type's catalogue fields, as an agent fills them)."""
    for field in driver.find_elements(By.CSS_SELECTOR,
                                      "fieldset.type-fields:not([disabled]) [required]"):
        if field.tag_name == "select":
            Select(field).select_by_index(1)
        elif field.get_attribute("type") == "date":
            driver.execute_script("arguments[0].value = '2026-12-01'", field)
        elif field.get_attribute("inputmode") == "decimal":
            field.send_keys("1")
        else:
            field.send_keys("meter")


@pytest.fixture(scope="module")
def agent(demo, browser_factory):
    driver = browser_factory()
    log_in(driver, demo.url, "agent1", "agent1-demo")
    return driver


@pytest.fixture(scope="module")
def supervisor(demo, browser_factory):
    driver = browser_factory()
    log_in(driver, demo.url, "supervisor", "supervisor-demo")
    return driver


def test_the_demo_prints_where_to_log_in_and_as_whom(demo):
    printed = demo.output()
    assert f"panel: {demo.url}/login" in printed
    for username, password in (("agent1", "agent1-demo"), ("supervisor", "supervisor-demo")):
        line = next(li for li in printed.splitlines() if li.strip().startswith(username + " "))
        assert password in line


def test_the_agent_logs_in_to_the_call_screen(demo, agent, screenshot):
    assert agent.current_url == demo.url + "/agent"
    assert "1001@default" in text_of(agent, ".agent-head")
    assert text_of(agent, "#agent-status") == "Logged Out"
    assert text_of(agent, "#agent-phone") == "registered"     # the demo's desk phone
    screenshot(agent, "agent-logged-in")


def test_an_available_agent_gets_a_queued_caller_with_their_record(agent, screenshot):
    agent.find_element(By.CSS_SELECTOR, 'button[data-status="Available"]').click()
    wait_text(agent, "#agent-status", "Available")
    WebDriverWait(agent, WAIT_S, poll_frequency=0.1).until(
        lambda d: d.find_elements(By.CSS_SELECTOR, "#screenpop .screenpop-call"))
    # one read of both fields: a later caller's pop may replace this one
    account, name, caller = agent.execute_script(
        "var p = document.querySelector('#screenpop .screenpop-call');"
        "function f(n) { return p.querySelector('[data-field=' + n + ']').textContent.trim(); }"
        "return [f('account'), f('customer-name'), f('caller')];")
    screenshot(agent, "agent-screenpop")
    assert account in CUSTOMERS, f"the pop shows account {account!r}"
    assert name == CUSTOMERS[account]
    assert caller.startswith("139")


def test_a_ticket_from_the_call_is_opened_and_dispatched(demo, agent, screenshot):
    call, account, caller = agent.execute_script(
        "var p = document.querySelector('#screenpop .screenpop-call');"
        "function f(n) { return p.querySelector('[data-field=' + n + ']').textContent.trim(); }"
        "return [p.getAttribute('data-call'), f('account'), f('caller')];")
    # the call screen's "ticket from this call": the call, its caller and account
    agent.get(f"{demo.url}/tickets/new?call={call}&caller={caller}&account={account}")
    assert text_of(agent, "#matched-account [data-field=customer-name]") == CUSTOMERS[account]
    assert agent.find_element(By.NAME, "account").get_attribute("value") == account
    assert agent.find_element(By.NAME, "caller").get_attribute("value") == caller
    Select(agent.find_element(By.NAME, "type")).select_by_value("repair")
    agent.find_element(By.NAME, "title").send_keys("meter ticks with the gas off")
    fill_type_fields(agent)
    address = agent.find_element(By.NAME, "address")
    if not address.get_attribute("value"):
        address.send_keys("浦东新区 1号")
    agent.find_element(By.CSS_SELECTOR, "form.ticket-new button[type=submit]").click()
    WebDriverWait(agent, WAIT_S).until(lambda d: d.find_elements(
        By.CSS_SELECTOR, "[data-ticket], #ticket-error"))
    assert not text_of(agent, "#ticket-error"), screenshot(agent, "ticket-refused")
    assert text_of(agent, "[data-field=title]") == "meter ticks with the gas off"
    assert text_of(agent, "[data-field=account]") == account
    team = agent.find_element(By.CSS_SELECTOR, "#teams option").get_attribute("value")
    form = agent.find_element(By.CSS_SELECTOR, "form[data-action=dispatch]")
    form.find_element(By.NAME, "team").send_keys(team)
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(agent, WAIT_S).until(lambda d: text_of(d, "[data-field=team]") == team)
    assert text_of(agent, "[data-field=status]").startswith("dispatched")
    screenshot(agent, "ticket-dispatched")


def test_the_supervisor_sees_the_agent_go_on_break(demo, agent, supervisor, screenshot):
    supervisor.get(demo.url + "/supervisor")
    row = f'tr[data-agent="{AGENT}"] [data-field=status]'
    wait_text(supervisor, row, "Available")
    agent.get(demo.url + "/agent")
    agent.find_element(By.CSS_SELECTOR, 'button[data-status="On Break"]').click()
    wait_text(supervisor, row, "On Break")
    wait_text(agent, "#agent-status", "On Break")
    screenshot(supervisor, "supervisor-wallboard")
