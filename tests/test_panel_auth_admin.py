"""/admin/users: an admin adds users, changes roles, disables and resets passwords;
the changes take effect on the users' next request."""

from __future__ import annotations

import pytest

pytest_plugins = ["panel_support"]   # the `panel` fixture


def page(answer) -> str:
    return answer.get_data(as_text=True)


def row(text: str, username: str) -> str:
    start = text.index(f'<tr data-user="{username}">')
    return text[start:text.index("</tr>", start)]


def test_an_admin_adds_a_user_who_can_then_log_in(panel):
    admin = panel.client("admin")
    added = admin.send("/admin/users", {"username": "Ann", "display_name": "Ann Lee",
                                        "role": "agent", "password": "a long password",
                                        "agent": "1001@default", "extension": "user/1001"})
    assert added.headers["Location"] == "/admin/users"
    listing = page(admin.get("/admin/users"))
    assert "Added ann (agent)." in listing
    ann = row(listing, "ann")
    assert "Ann Lee" in ann and "1001@default" in ann and "user/1001" in ann
    assert '<td data-field="role">agent</td>' in ann
    agent = panel.app.test_client()
    assert panel.log_in(agent, "ann", "a long password").status_code == 302
    assert agent.get("/").headers["Location"] == "/agent"


def test_bad_input_is_said_on_the_page_and_nothing_is_added(panel):
    admin = panel.client("admin")
    short = admin.send("/admin/users", {"username": "bob", "role": "agent", "password": "short"})
    assert short.status_code == 400
    assert "the password is too short: at least 8 characters" in page(short)
    taken = admin.send("/admin/users", {"username": "admin1", "role": "agent",
                                        "password": "a long password"})
    assert "there is already a user &#39;admin1&#39;" in page(taken)
    bad_role = admin.send("/admin/users", {"username": "bob", "role": "root",
                                           "password": "a long password"})
    assert "&#39;root&#39; is not a role" in page(bad_role)
    assert 'data-user="bob"' not in page(admin.get("/admin/users"))


def test_a_role_change_applies_at_the_users_next_request(panel):
    admin = panel.client("admin")
    ann = panel.client("agent", "ann")
    assert ann.get("/admin/users").status_code == 403
    admin.send("/admin/users/ann/role", {"role": "admin"})
    assert ann.get("/admin/users").status_code == 200
    assert ann.get("/").headers["Location"] == "/supervisor"


def test_disable_ends_the_session_and_enable_lets_in_again(panel):
    admin = panel.client("admin")
    ann = panel.client("agent", "ann")
    admin.send("/admin/users/ann/disabled", {"disabled": "1"})
    assert '<td data-field="state">disabled</td>' in row(page(admin.get("/admin/users")), "ann")
    assert ann.get("/").headers["Location"].startswith("/login")
    admin.send("/admin/users/ann/disabled", {"disabled": "0"})
    assert panel.log_in(panel.app.test_client(), "ann").status_code == 302


def test_a_password_reset_ends_sessions_and_the_new_one_works(panel):
    admin = panel.client("admin")
    ann = panel.client("agent", "ann")
    done = admin.send("/admin/users/ann/password", {"password": "brand new secret"})
    assert done.status_code == 302
    assert "ann has a new password" in page(admin.get("/admin/users"))
    assert ann.get("/").headers["Location"].startswith("/login")
    assert panel.log_in(panel.app.test_client(), "ann", panel.PASSWORD).status_code == 401
    assert panel.log_in(panel.app.test_client(), "ann", "brand new secret").status_code == 302


def test_an_admin_cannot_lock_themselves_out(panel):
    admin = panel.client("admin")
    assert "cannot disable yourself" in page(admin.send("/admin/users/admin1/disabled",
                                                        {"disabled": "1"}))
    assert "cannot change your own role" in page(admin.send("/admin/users/admin1/role",
                                                            {"role": "agent"}))
    assert admin.get("/admin/users").status_code == 200


def test_an_unknown_user_is_said_not_a_traceback(panel):
    answer = panel.client("admin").send("/admin/users/nobody/role", {"role": "agent"})
    assert answer.status_code == 400 and "no user &#39;nobody&#39;" in page(answer)


def test_a_supervisor_cannot_manage_users(panel):
    sup = panel.client("supervisor")
    assert sup.get("/admin/users").status_code == 403
    panel.user("ann")
    assert sup.send("/admin/users/ann/role", {"role": "admin"}).status_code == 403
    from store.users import find_user
    assert find_user("ann").role == "agent"


def test_an_admin_sets_a_users_phone(panel):
    admin = panel.client("admin")
    panel.user("ann")
    admin.send("/admin/users/ann/phone", {"agent": "1001@default", "extension": "user/1001"})
    assert "ann answers as 1001@default on user/1001." in page(admin.get("/admin/users"))
    from store.users import find_user
    assert (find_user("ann").agent, find_user("ann").extension) == ("1001@default", "user/1001")


@pytest.mark.parametrize(("agent", "extension", "message"), [
    ("1001@default", "user/1001 &bridge(sofia/gw/999)", "is not an endpoint FreeSWITCH can dial"),
    ("1001@default\napi originate", "user/1001", "is not a mod_callcenter agent name"),
    ("1001@default}", "user/1001", "is not a mod_callcenter agent name"),
    ("1001", "user/1001", "is not a mod_callcenter agent name"),
    ("1001@default", "{origination_caller_id_number=1}user/1001",
     "is not an endpoint FreeSWITCH can dial"),
])
def test_a_phone_that_would_smuggle_an_esl_command_is_refused(panel, agent, extension, message):
    admin = panel.client("admin")
    panel.user("ann")
    answer = admin.send("/admin/users/ann/phone", {"agent": agent, "extension": extension})
    assert answer.status_code == 400 and message in page(answer)
    added = admin.send("/admin/users", {"username": "bob", "role": "agent", "agent": agent,
                                        "extension": extension, "password": "a long password"})
    assert added.status_code == 400
    from store.users import find_user
    assert find_user("ann").agent == "" and find_user("bob") is None
