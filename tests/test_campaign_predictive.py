"""Predictive and progressive dialling held to the abandon cap, the whole campaign played
by `simulate` on virtual time; the `switchflow campaign simulate` command; the campaign's
settings files read with errors an operator can act on."""

from __future__ import annotations

import datetime as dt

import pytest
from campaignkit import DAILY_9_TO_20, config, local
from click.testing import CliRunner

from engine.campaigns.config import CampaignConfigError, load_campaigns_file
from engine.campaigns.ports import Mode
from engine.campaigns.predictive import (
    MIN_ANSWERED,
    AbandonMeter,
    expected_abandon_share,
    wanted_ringing,
)
from engine.campaigns.simulate import FarEnds, simulate


def test_predictive_keeps_the_abandon_rate_under_its_cap_with_five_agents():
    cfg = config(mode=Mode.PREDICTIVE, window=DAILY_9_TO_20, rate=5, concurrency=30)
    r = simulate(cfg, local("2026-11-23 09:00"), targets=1500, agents=5,
                 far=FarEnds(answer_rate=0.6, busy_rate=0.1, seed=3))
    assert not r.timed_out and r.answered > 500
    assert r.abandon_rate <= 0.03 and r.worst_window_abandon <= 0.03
    assert not [b for b in r.breaches if b.kind == "abandon"], r.breaches
    assert r.breaches == []


def test_progressive_never_rings_more_than_the_free_agents():
    cfg = config(mode=Mode.PROGRESSIVE, window=DAILY_9_TO_20)
    r = simulate(cfg, local("2026-11-23 09:00"), targets=200, agents=4,
                 far=FarEnds(answer_rate=0.7, seed=5))
    assert r.abandoned == 0 and r.peak_concurrent <= 4 * 2  # agents' calls + ringing ones
    assert r.breaches == []


def test_no_warm_up_loophole_and_the_cap_stops_over_dialling():
    meter = AbandonMeter()
    # before enough answered calls: 1:1, whatever the free agents
    assert wanted_ringing(Mode.PREDICTIVE, 20, answer_rate=meter.answer_rate()) == 20
    now = local("2026-11-23 10:00")
    for i in range(MIN_ANSWERED * 2):
        meter.placed_one()
        if i % 2 == 0:
            meter.answered_one(now, abandoned=False)
    assert meter.answer_rate() == pytest.approx(0.5)
    assert wanted_ringing(Mode.PREDICTIVE, 20, answer_rate=0.5, abandon_rate=0.0) > 20
    # at the cap (over the window or over the life): back to 1:1
    assert wanted_ringing(Mode.PREDICTIVE, 20, answer_rate=0.5, abandon_rate=0.03) == 20
    # an abandon early in the life still counts after the rolling window has moved on
    meter.answered_one(now, abandoned=True)
    later = now + dt.timedelta(hours=2)
    for _ in range(150):
        meter.answered_one(later, abandoned=False)
    assert meter.window_rate(later) == 0.0 and meter.rate(later) == meter.life_rate() > 0


def test_the_rolling_window_holds_enough_answered_calls_to_mean_something():
    meter = AbandonMeter()
    now = local("2026-11-23 10:00")
    for i in range(300):
        meter.answered_one(now, abandoned=i % 50 == 0)          # 2% over the morning
    quiet = now + dt.timedelta(hours=3)
    meter.answered_one(quiet, abandoned=True)                   # one in a quiet half hour
    assert 0.02 <= meter.window_rate(quiet) <= 0.03             # not 100%


def test_the_expected_abandon_share_grows_with_over_dialling():
    shares = [expected_abandon_share(n, 0.5, 10) for n in (10, 14, 18, 24)]
    assert shares[0] == 0 and shares == sorted(shares) and shares[-1] > 0.05


def test_campaign_simulate_command(monkeypatch):
    from cli.main import cli

    result = CliRunner().invoke(cli, ["campaign", "simulate", "dunning_small",
                                      "--answer-rate", "0.6", "--busy-rate", "0.1",
                                      "--agents", "5", "--targets", "300",
                                      "--start", "2026-11-23 08:00"])
    assert result.exit_code == 0, result.output
    assert "finished  2026-11-23" in result.output
    assert "calls per target  1x:" in result.output
    assert "no window, pacing, concurrency, abandon-cap or double-dial breach" in result.output


def test_campaign_simulate_refuses_rates_that_do_not_add_up():
    from cli.main import cli

    result = CliRunner().invoke(cli, ["campaign", "simulate", "dunning_small",
                                      "--answer-rate", "0.9", "--busy-rate", "0.5"])
    assert result.exit_code == 2 and "add up to" in result.output
    assert "Traceback" not in result.output


def test_campaign_simulate_names_an_unknown_campaign():
    from cli.main import cli

    result = CliRunner().invoke(cli, ["campaign", "simulate", "duning_small"])
    assert result.exit_code == 1 and "no flow declares campaign `duning_small`" in result.output
    assert "dunning_small" in result.output


def test_campaigns_file_errors_name_the_key(tmp_path):
    bad = tmp_path / "campaigns.toml"
    bad.write_text('[campaign.dunning_small]\nmode = "robocall"\n', encoding="utf-8")
    with pytest.raises(CampaignConfigError, match=r"\[campaign.dunning_small\] mode = "
                                                  r"'robocall': expected one of automatic"):
        load_campaigns_file(bad)
    bad.write_text('[campaign.x]\nabandon_cap = "30%"\n', encoding="utf-8")
    with pytest.raises(CampaignConfigError, match="abandon_cap"):
        load_campaigns_file(bad)
    shipped = load_campaigns_file("conf/campaigns.toml")
    assert shipped.options("dunning_large").mode == Mode.PREVIEW
    assert not shipped.options("satisfaction_survey").consent_needed
    bad.write_text('[campaign.research]\nconsent_needed = true\n', encoding="utf-8")
    assert load_campaigns_file(bad).options("research").consent_type == "market_research"


def test_the_next_preview_target_is_shown_and_left_as_it_was():
    from cli.campaign import next_preview
    from engine.campaigns.memory import MemoryCampaignStore
    from engine.campaigns.ports import TargetState

    store = MemoryCampaignStore()
    first = store.add("big", ["13900000001"], account="60000042", name="华东机械厂",
                      data={"arrears": 12800})
    shown = next_preview(store, "big")
    assert (shown.account, shown.name, dict(shown.data)) == ("60000042", "华东机械厂",
                                                           {"arrears": 12800})
    assert store.target(first.id).state == TargetState.PENDING
    assert store.attempts("big") == [] and store.dials == []


def test_a_campaign_put_together_from_flow_file_and_settings():
    from cli.campaign import campaign_config
    from engine.settings import load_settings

    cfg, _ = campaign_config("dunning_small", load_settings())
    assert (cfg.flow, cfg.caller_id, cfg.rate, cfg.concurrency, cfg.on_answer) == (
        "dunning_small", "95158", 5.0, 30, "reminder")
    assert (cfg.timezone, cfg.consent_type, cfg.trunk, cfg.mode) == (
        "Asia/Shanghai", "", "pstn", Mode.AUTOMATIC)
    assert cfg.retry.max_tries == 3 and cfg.window.name == "calling"
    assert str(cfg.window.quiet) == "21:00-08:00"


def test_fax_lines_in_a_dry_run_are_closed_and_the_next_number_is_called():
    cfg = config(mode=Mode.AUTOMATIC, window=DAILY_9_TO_20, rate=5, concurrency=30)
    r = simulate(cfg, local("2026-11-23 09:00"), targets=300, agents=5,
                 far=FarEnds(answer_rate=1.0, busy_rate=0, reject_rate=0, network_rate=0,
                             unallocated_rate=0, fax_rate=0.3, seed=7))
    # a first number that is a fax line (about 30%) sends the dialler on to the second
    assert 80 < r.outcomes["fax"] < 150 and r.calls == r.outcomes["fax"] + r.outcomes["answered"]
    assert set(r.attempts_per_target) == {1, 2}              # no fax line called twice
    # a target whose two numbers are both fax lines (about 9%) fails; the rest are reached
    assert 10 < r.states["failed"] < 50
    assert r.outcomes["answered"] == r.states["completed"] == 300 - r.states["failed"]
    assert not r.breaches
