"""Erlang C (store/reports/erlang.py) against the published example and its edges."""

from __future__ import annotations

import math

import pytest

from store.reports.erlang import agents_needed, staffing, traffic, wait_probability


def test_ten_erlangs_on_fourteen_agents_matches_the_published_example():
    a = traffic(calls=100, aht_s=180, interval_s=1800)   # 100 calls in half an hour, 3 min each
    assert a == pytest.approx(10)
    s = staffing(a, 14, aht_s=180, threshold_s=20)
    assert round(s.wait_probability, 4) == 0.1741
    assert round(s.service_level, 3) == 0.888
    assert s.asa_s == pytest.approx(0.1741 * 180 / 4, abs=0.01)
    assert s.occupancy == pytest.approx(10 / 14)


def test_the_recursion_gives_the_factorial_formula():
    a, n = 7.3, 11
    top = a ** n / math.factorial(n) * n / (n - a)
    expected = top / (sum(a ** k / math.factorial(k) for k in range(n)) + top)
    assert wait_probability(a, n) == pytest.approx(expected, rel=1e-12)


def test_agents_needed_is_the_smallest_count_meeting_the_target():
    s = agents_needed(10, aht_s=180, threshold_s=20, target=0.8)
    assert s.agents == 14                      # 13 agents give 0.796, just short of 80 %
    assert round(s.service_level, 3) == 0.888
    assert round(staffing(10, 13, 180, 20).service_level, 3) == 0.796
    assert agents_needed(10, 180, 20, 0.79).agents == 13
    assert agents_needed(10, 180, 20, 0.9).agents == 15


def test_too_few_agents_means_everyone_waits():
    for n in (0, 5, 10):
        s = staffing(10, n, 180, 20)
        assert s.wait_probability == 1.0
        assert s.service_level == 0.0
        assert s.asa_s is None


def test_no_traffic_needs_no_agent():
    s = agents_needed(0, aht_s=0, threshold_s=20, target=0.8)
    assert (s.agents, s.wait_probability, s.service_level) == (0, 0.0, 1.0)
    assert staffing(0, 3, 180, 20).service_level == 1.0


def test_large_traffic_stays_finite():
    s = agents_needed(2000, aht_s=300, threshold_s=20, target=0.9)
    assert 2000 < s.agents < 2200
    assert 0 < s.wait_probability < 1


@pytest.mark.parametrize("target", [0, 1, 1.5, -0.1])
def test_a_target_outside_0_to_1_is_refused(target):
    with pytest.raises(ValueError, match="target"):
        agents_needed(10, 180, 20, target)
