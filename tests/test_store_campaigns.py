"""Campaign targets in the store, on SQLite and PostgreSQL: leases, a do-not-call hit
mid-batch, consent, CSV import, status and report, promises to pay.

Times are given to the store explicitly (a virtual clock): nothing here waits.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import pytest

from engine.campaigns.ports import Attempt, Outcome, TargetState
from engine.catalog import load_catalog
from engine.lookups.context import CallContext, in_call
from engine.lookups.registry import Registry
from engine.settings import load_settings
from store.campaigns import (
    CampaignError,
    PeeweeCampaignStore,
    add_dnc,
    campaign_report,
    campaign_status,
    check_dnc,
    create_campaign,
    give_consent,
    import_csv,
    list_dnc,
    promises,
    remove_dnc,
    revoke_consent,
    set_state,
)
from store.lookups import register_store_lookups
from store.models.campaigns import Campaign, CampaignTarget
from store.models.customers import Bill, Customer, Phone

T0 = dt.datetime(2026, 11, 23, 2, 0, tzinfo=dt.UTC)     # 10:00 in Shanghai


def at(seconds: float) -> dt.datetime:
    return T0 + dt.timedelta(seconds=seconds)


def customer(account: str, *phones: str, status: str = "active", cls: str = "residential",
             area: str = "200135", large: bool = False, name: str = "张伟") -> Customer:
    c = Customer.create(account=account, name=name, customer_class=cls, large_account=large,
                        address="浦东新区锦绣路1号", supply_area=area, pin_hash="x",
                        status=status)
    for i, number in enumerate(phones):
        Phone.create(customer=c, number=number, position=i)
    return c


def targets(campaign: str, n: int, first_phone: int = 13800000000) -> None:
    """n pending targets straight into the table (what a source or an import loads)."""
    cid = Campaign.get(Campaign.name == campaign).id
    rows = [{"campaign": cid, "account": f"{70000000 + i}", "name": f"客户{i}",
             "phones": f'["{first_phone + i}"]', "timezone": "Asia/Shanghai",
             "data": "{}", "loaded_at": T0.replace(tzinfo=None)} for i in range(n)]
    for start in range(0, n, 500):
        CampaignTarget.insert_many(rows[start:start + 500]).execute()


def running(name: str = "c1", **kwargs) -> PeeweeCampaignStore:
    create_campaign(name, "dunning_small", caller_id="95158", **kwargs)
    set_state(name, "running")
    return PeeweeCampaignStore()


def answered(target, when: dt.datetime, number: str | None = None) -> Attempt:
    return Attempt(target.id, number or target.phones[0], "95158", Outcome.ANSWERED, when,
                   cause="NORMAL_CLEARING", answered_at=when, ended_at=when)


# ---------------------------------------------------------------- leases

def test_a_claim_leases_due_targets_once_and_only_the_holder_finishes(store_db):
    store = running()
    targets("c1", 5)
    first = store.claim("c1", at(0), 3, "w1", 60)
    second = store.claim("c1", at(0), 3, "w2", 60)
    assert len(first) == 3 and len(second) == 2
    assert not {t.id for t in first} & {t.id for t in second}
    assert store.claim("c1", at(1), 3, "w3", 60) == []
    t = first[0]
    assert t.state is TargetState.DIALLING and t.leased_by == "w1"
    assert t.lease_until == at(60)
    # another worker cannot finish or renew it; nothing is written
    assert not store.finish(t.id, "w2", answered(t, at(5)), TargetState.COMPLETED)
    assert not store.renew(t.id, "w2", at(120))
    assert store.attempts("c1") == []
    assert store.renew(t.id, "w1", at(120))
    assert store.target(t.id).lease_until == at(120)
    assert store.finish(t.id, "w1", answered(t, at(5)), TargetState.COMPLETED)
    done = store.target(t.id)
    assert (done.state, done.attempts, done.leased_by, done.last_outcome) == (
        TargetState.COMPLETED, 1, "", Outcome.ANSWERED)
    assert done.number_attempts == {t.phones[0]: 1}
    # a finished target is not the worker's any more
    assert not store.finish(t.id, "w1", None, TargetState.COMPLETED)


def test_a_retry_is_due_at_its_time_with_the_same_caller_id_kept_per_attempt(store_db):
    store = running()
    targets("c1", 1)
    [t] = store.claim("c1", at(0), 5, "w1", 60)
    busy = Attempt(t.id, t.phones[0], "95158", Outcome.BUSY, at(1), cause="USER_BUSY")
    assert store.finish(t.id, "w1", busy, TargetState.RETRY_WAIT, next_at=at(7200))
    assert store.claim("c1", at(7199), 5, "w1", 60) == []
    [again] = store.claim("c1", at(7200), 5, "w2", 60)
    assert (again.id, again.attempts, again.last_outcome) == (t.id, 1, Outcome.BUSY)
    store.finish(again.id, "w2", answered(again, at(7210)), TargetState.COMPLETED)
    calls = store.attempts("c1")
    assert [(a.outcome, a.caller_id, a.cause) for a in calls] == [
        (Outcome.BUSY, "95158", "USER_BUSY"), (Outcome.ANSWERED, "95158", "NORMAL_CLEARING")]
    assert store.target(t.id).number_attempts == {t.phones[0]: 2}


def test_an_ended_lease_is_recovered_as_a_lost_attempt_and_redialled_once(store_db):
    store = running()
    targets("c1", 4)
    held = store.claim("c1", at(0), 4, "crashed", 30)
    store.finish(held[0].id, "crashed", answered(held[0], at(5)), TargetState.COMPLETED)
    assert store.recover("c1", at(29)) == 0            # leases still running
    assert store.recover("c1", at(31)) == 3
    assert store.counts("c1")[TargetState.RETRY_WAIT] == 3
    lost = [a for a in store.attempts("c1") if a.outcome is Outcome.LOST]
    assert len(lost) == 3 and all("crashed" in a.detail for a in lost)
    # the crashed worker's late result is refused: the target is not its any more
    assert not store.finish(held[1].id, "crashed", answered(held[1], at(40)),
                            TargetState.COMPLETED)
    again = store.claim("c1", at(31), 10, "w2", 30)
    assert sorted(t.id for t in again) == sorted(t.id for t in held[1:])
    for t in again:
        assert store.finish(t.id, "w2", answered(t, at(35)), TargetState.COMPLETED)
    assert store.recover("c1", at(1000)) == 0
    real = [a for a in store.attempts("c1") if a.outcome is Outcome.ANSWERED]
    assert sorted(a.target_id for a in real) == sorted(t.id for t in held)


def test_a_paused_or_stopped_campaign_hands_out_nothing(store_db):
    store = running()
    targets("c1", 3)
    set_state("c1", "paused")
    assert store.claim("c1", at(0), 3, "w1", 60) == []
    set_state("c1", "running")
    assert len(store.claim("c1", at(0), 1, "w1", 60)) == 1
    set_state("c1", "stopped")
    assert store.claim("c1", at(0), 3, "w1", 60) == []
    with pytest.raises(CampaignError, match="stopped: it cannot become running"):
        set_state("c1", "running")


def test_campaign_names_and_modes_are_checked(store_db):
    create_campaign("c1", "dunning_small")
    with pytest.raises(CampaignError, match="exists already"):
        create_campaign("c1", "dunning_small")
    with pytest.raises(CampaignError, match="not a dialling mode"):
        create_campaign("c2", "dunning_small", mode="robocall")
    with pytest.raises(CampaignError, match="not a campaign name"):
        create_campaign("bad name", "dunning_small")
    with pytest.raises(CampaignError, match="no campaign named 'nope'"):
        set_state("nope", "running")


# ---------------------------------------------------------------- do-not-call

def dial_batch(store: PeeweeCampaignStore, batch, when: dt.datetime, worker: str = "w1"):
    """What the dialler does with a claimed batch: DNC check at dial time, then the call."""
    for t in batch:
        hit = store.dnc(t.phones[0], when)
        if hit is not None:
            store.finish(t.id, worker, Attempt(t.id, t.phones[0], "95158", Outcome.DNC, when,
                                               detail=f"{hit.list_name}: {hit.reason}"),
                         TargetState.EXCLUDED)
        else:
            store.finish(t.id, worker, answered(t, when), TargetState.COMPLETED)


def test_a_do_not_call_entry_added_mid_batch_skips_that_target_only(store_db):
    store = running()
    targets("c1", 6)
    batch = store.claim("c1", at(0), 6, "w1", 60)
    dial_batch(store, batch[:2], at(1))
    add_dnc("customer_request", "+86 " + batch[3].phones[0], "asked not to be called",
            added_by="li.na", at=at(2))
    dial_batch(store, batch[2:], at(3))
    counts = store.counts("c1")
    assert counts[TargetState.COMPLETED] == 5 and counts[TargetState.EXCLUDED] == 1
    skipped = store.target(batch[3].id)
    assert skipped.state is TargetState.EXCLUDED and skipped.last_outcome is Outcome.DNC
    row = CampaignTarget.get_by_id(batch[3].id)
    assert "customer_request: asked not to be called" in row.reason
    report = campaign_report("c1")
    assert report.excluded == {row.reason: 1}
    assert report.outcomes[Outcome.DNC] == 1 and report.attempts == 5


def test_do_not_call_lists_keep_reasons_dates_and_an_end(store_db):
    assert add_dnc("complaints", "13800000001", "complained about a call", added_by="wang",
                   at=at(0), expires_at=at(3600))
    # already on it: the entry is updated, not doubled
    assert not add_dnc("complaints", "138-0000-0001", "again", added_by="wang", at=at(10),
                       expires_at=at(3600))
    add_dnc("regulator", "02155550101", "national list", at=at(0))
    assert check_dnc("13800000001", at(100)).list_name == "complaints"
    assert check_dnc("13800000001", at(3600)) is None         # the entry ended
    assert check_dnc("13800000001", at(-1)) is None           # not yet on it
    store = PeeweeCampaignStore()
    assert store.dnc("+862155550101", at(5)).list_name == "regulator"
    entries = list_dnc("complaints")
    assert [(e.number, e.reason, e.added_by) for e in entries] == [
        ("13800000001", "again", "wang")]
    assert remove_dnc("regulator", "02155550101")
    assert store.dnc("02155550101", at(5)) is None
    assert not remove_dnc("regulator", "02155550101")
    with pytest.raises(CampaignError, match="not a phone number"):
        add_dnc("complaints", "call me")


# ---------------------------------------------------------------- consent

def test_a_market_research_campaign_dials_only_customers_who_consented(store_db):
    store = running("survey", consent_type="market_research")
    targets("survey", 3)
    give_consent("market_research", account="70000000", at=at(-100))
    give_consent("market_research", number="13800000001", at=at(-100))
    give_consent("market_research", account="70000002", at=at(-100))
    revoke_consent("market_research", account="70000002", at=at(-50))
    claimed = store.claim("survey", at(0), 10, "w1", 60)
    assert sorted(t.account for t in claimed) == ["70000000", "70000001"]
    refused = CampaignTarget.get(CampaignTarget.account == "70000002")
    assert (refused.state, refused.reason) == ("excluded", "no market_research consent")


# ---------------------------------------------------------------- CSV import

def test_a_csv_import_loads_good_rows_and_reports_each_rejected_one(store_db, tmp_path):
    create_campaign("csv", "dunning_small")
    customer("10000001", "13800000001")
    customer("10000002", "13800000002")
    customer("10000003", "13800000003")
    customer("10000004", "13800000004", status="closed")
    customer("10000005", "13800000005")
    path = tmp_path / "targets.csv"
    path.write_text(
        "\ufeffaccount,phone,name,arrears,due_date,phone2\n"
        "10000001,+86 139 0000 0001;021-5555-0101,李娜,186.40,2026-10-15,13800000001\n"
        "10000002,12345,,96,2026-10-20,\n"
        "99999999,13800000009,,10,2026-10-20,\n"
        ",13800000003,,10,2026-10-20,\n"
        "10000001,13900000001,,10,2026-10-20,\n"
        "10000004,13800000004,,10,2026-10-20,\n"
        "10000003,13800000003,,0123,2026-10-20,\n", encoding="utf-8")
    report = import_csv("csv", path)
    assert report.loaded == 2
    assert [(r.line, r.reason) for r in report.rejected] == [
        (3, "bad phone number '12345': not a mobile or fixed-line number"),
        (4, "unknown account 99999999"),
        (5, "missing field: account"),
        (6, "duplicate: account 10000001 is already in line 2"),
        (7, "account 10000004 is closed"),
    ]
    first = CampaignTarget.get(CampaignTarget.account == "10000001")
    assert first.phones == '["13900000001","02155550101","13800000001"]'
    data = json.loads(first.data)
    assert data == {"account": "10000001", "name": "李娜", "phone": "13900000001",
                    "arrears": 186.4, "due_date": "2026-10-15"}
    assert json.loads(CampaignTarget.get(CampaignTarget.account == "10000003").data)[
        "arrears"] == "0123"                                     # a code stays text
    again = tmp_path / "again.csv"
    again.write_text("account,phone\n10000005,13800000005\n10000003,13800000003\n")
    second = import_csv("csv", again)
    assert second.loaded == 1
    assert [(r.line, r.reason) for r in second.rejected] == [
        (3, "duplicate: account 10000003 is already in the campaign")]


def test_a_csv_the_importer_cannot_read_is_refused_with_what_to_do(store_db, tmp_path):
    create_campaign("csv", "dunning_small")
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes("account,phone,name\n10000001,13800000001,张伟\n".encode("gbk"))
    with pytest.raises(CampaignError, match=r"not UTF-8.*CSV UTF-8"):
        import_csv("csv", gbk)
    bare = tmp_path / "bare.csv"
    bare.write_text("acct,tel\n1,2\n")
    with pytest.raises(CampaignError, match=":1: the header has no account or phone column"):
        import_csv("csv", bare)
    with pytest.raises(CampaignError, match="no such file"):
        import_csv("csv", tmp_path / "missing.csv")


# ---------------------------------------------------------------- status and report

def test_status_and_report_give_the_figures_an_operator_reads(store_db):
    store = running()
    targets("c1", 10)
    batch = store.claim("c1", at(0), 10, "w1", 600)
    # 0-4 answered by a person (1 and 2 taken by an agent), 5 abandoned, 6 busy then
    # retry, 7 machine, 8 unallocated, 9 still dialling
    for i, t in enumerate(batch[:9]):
        when = at(30 + i)
        if i < 5:
            a = Attempt(t.id, t.phones[0], "95158", Outcome.ANSWERED, when, answered_at=when,
                        agent_at=when + dt.timedelta(seconds=1) if i in (1, 2) else None)
            store.finish(t.id, "w1", a, TargetState.COMPLETED)
        elif i == 5:
            store.finish(t.id, "w1", Attempt(t.id, t.phones[0], "95158", Outcome.ABANDONED,
                                             when, answered_at=when), TargetState.RETRY_WAIT,
                         next_at=at(9999))
        elif i == 6:
            store.finish(t.id, "w1", Attempt(t.id, t.phones[0], "95158", Outcome.BUSY, when,
                                             cause="USER_BUSY"), TargetState.RETRY_WAIT,
                         next_at=at(9999))
        elif i == 7:
            store.finish(t.id, "w1", Attempt(t.id, t.phones[0], "95158", Outcome.MACHINE, when,
                                             answered_at=when), TargetState.COMPLETED)
        else:
            store.finish(t.id, "w1", Attempt(t.id, t.phones[0], "95158", Outcome.UNALLOCATED,
                                             when, cause="UNALLOCATED_NUMBER"),
                         TargetState.FAILED)
    status = campaign_status("c1", now=at(60))
    assert status.total == 10 and status.state == "running"
    assert status.counts[TargetState.COMPLETED] == 6
    assert status.counts[TargetState.RETRY_WAIT] == 2
    assert status.counts[TargetState.FAILED] == 1 and status.counts[TargetState.DIALLING] == 1
    assert status.attempts == 9 and status.calls_last_minute == 9
    assert status.rate == pytest.approx(9 / 60)
    assert status.abandon_rate == pytest.approx(1 / 6)      # over calls a person answered
    assert status.progress == pytest.approx(0.7)
    assert campaign_status("c1", now=at(200)).calls_last_minute == 0
    report = campaign_report("c1")
    assert report.reached == 6 and report.dialable == 10
    assert report.reach_rate == pytest.approx(0.6)
    assert report.transfers == 2
    assert report.outcomes[Outcome.BUSY] == 1 and report.outcomes[Outcome.MACHINE] == 1
    assert report.abandon_rate == pytest.approx(1 / 6)
    assert report.attempts_per_target == {0: 1, 1: 9}
    failed = CampaignTarget.get_by_id(batch[8].id)
    assert failed.reason == "unallocated (UNALLOCATED_NUMBER)"


# ---------------------------------------------------------------- promises to pay

def test_a_promise_to_pay_from_a_flow_is_kept_with_the_call_and_the_campaign(store_db):
    c = customer("10000001", "13800000001")
    Bill.create(customer=c, month=dt.date(2026, 9, 1), amount=Decimal("186.40"),
                due_date=dt.date(2026, 10, 20), paid=False)
    store = running("dun")
    cid = Campaign.get(Campaign.name == "dun").id
    CampaignTarget.create(campaign=cid, account="10000001", name="张伟",
                          phones='["13800000001"]', timezone="Asia/Shanghai",
                          loaded_at=T0.replace(tzinfo=None))
    [t] = store.claim("dun", at(0), 1, "w1", 600)
    registry = register_store_lookups(Registry(load_catalog()), load_settings(env={}),
                                      now=lambda: at(30))
    with in_call(CallContext("call-1", "95158", "13800000001")):
        day = registry.call_function("payment_date", ["5", dt.date(2026, 11, 23)], {})
        assert day == dt.date(2026, 11, 28)
        assert registry.call_function("promise_to_pay", ["10000001", day], {}) is True
        # too far ahead, or an unknown account: not kept, the flow hears false
        assert registry.call_function("promise_to_pay",
                                      ["10000001", dt.date(2027, 3, 1)], {}) is False
        assert registry.call_function("promise_to_pay", ["99999999", day], {}) is False
    kept = promises(account="10000001")
    assert [(p.promised_on, p.amount, p.call_id, p.campaign) for p in kept] == [
        (dt.date(2026, 11, 28), Decimal("186.40"), "call-1", "dun")]
    store.finish(t.id, "w1", answered(t, at(60)), TargetState.COMPLETED)
    report = campaign_report("dun")
    assert (report.promises, report.promised_amount) == (1, Decimal("186.40"))


def test_the_peewee_store_has_every_method_of_the_dialler_protocol():
    import inspect

    from engine.campaigns.ports import CampaignStore
    for name, method in inspect.getmembers(CampaignStore, inspect.isfunction):
        if name.startswith("_"):
            continue
        mine = getattr(PeeweeCampaignStore, name)
        assert list(inspect.signature(mine).parameters) == list(
            inspect.signature(method).parameters), name


def test_a_database_made_with_the_fax_migration_but_not_the_campaigns_one_gets_it(empty_db):
    """Migrations 6 (campaigns) and 7 (fax) were numbered on parallel branches: a
    database made by a build that had 7 only still gets 6 when it is migrated."""
    from store.db import current_schema
    from store.schema import MIGRATIONS, SchemaVersion, migrate
    empty_db.create_tables([SchemaVersion])
    for m in MIGRATIONS:
        if m.version != 6:
            with empty_db.atomic():
                m.apply(empty_db)
                SchemaVersion.create(version=m.version, name=m.name,
                                     applied_at=T0.replace(tzinfo=None))
    assert "campaign_target" not in empty_db.get_tables(schema=current_schema(empty_db))
    assert [a.version for a in migrate(empty_db)] == [6]
    assert "campaign_target" in empty_db.get_tables(schema=current_schema(empty_db))
    assert migrate(empty_db) == []


def test_a_later_claim_knows_which_numbers_are_dead_and_which_failed(store_db):
    """A worker restarted (or another process) must not redial an unallocated number:
    the store gives back what the attempts said of each number."""
    store = running()
    cid = Campaign.get(Campaign.name == "c1").id
    CampaignTarget.create(campaign=cid, account="70000001", name="客户",
                          phones='["13800000001", "02188886666"]', timezone="Asia/Shanghai",
                          data="{}", loaded_at=T0.replace(tzinfo=None))
    (t,) = store.claim("c1", at(0), 5, "w1", 60)
    assert t.closed_numbers == frozenset() and t.number_failures == {}
    store.finish(t.id, "w1", Attempt(t.id, "13800000001", "95158", Outcome.UNALLOCATED, at(1),
                                     cause="UNALLOCATED_NUMBER"), TargetState.RETRY_WAIT, at(2))
    (t,) = store.claim("c1", at(3), 5, "w2", 60)
    store.finish(t.id, "w2", Attempt(t.id, "02188886666", "95158", Outcome.NO_ANSWER, at(4),
                                     cause="NO_ANSWER"), TargetState.RETRY_WAIT, at(5))
    (t,) = store.claim("c1", at(6), 5, "w3", 60)
    assert t.closed_numbers == frozenset({"13800000001"})
    assert t.number_failures == {"02188886666": 1}
    assert store.target(t.id).closed_numbers == frozenset({"13800000001"})
