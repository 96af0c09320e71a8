"""benchmarks.loadbench's arithmetic: rounds combined, ratios paired with their round."""

from __future__ import annotations

import pytest

from benchmarks.loadbench import Result, judge


def result(name: str, rps: float, *, p95_ms: float = 100.0, requests: int = 100) -> Result:
    return Result(
        name=name,
        path=f"/{name}",
        requests=requests,
        rps=rps,
        p50_ms=p95_ms / 2,
        p95_ms=p95_ms,
        p99_ms=p95_ms * 2,
        max_ms=p95_ms * 3,
        kib_per_request=1.0,
        non200=0,
        socket_errors=0,
        first_bad="",
        app_cpu_ms=requests / 100,
        db_cpu_ms=0.5,
    )


def test_a_pages_ratio_is_the_median_of_its_ratios_to_the_same_rounds_healthz() -> None:
    # /healthz ran fast in rounds 1 and 3 and the page slowly in rounds 2 and 3: the medians
    # alone (240 req/s against 1000) would say 0.24; paired with their round, 0.6, 0.6, 0.24.
    rounds = [
        [result("healthz", 1000), result("page", 600)],
        [result("healthz", 400), result("page", 240)],
        [result("healthz", 1000), result("page", 240)],
    ]

    healthz, page = judge(rounds, think_ms=0)

    assert healthz.ratio == 1.0
    assert page.ratio == pytest.approx(0.6)
    assert [r["ratio"] for r in page.rounds] == pytest.approx([0.6, 0.6, 0.24])
    assert page.rps == 240 and page.requests == 300
    assert page.ratio_ok and not page.p95_ok  # 100 ms against 50


def test_it_judges_a_ratio_below_half_and_no_ratio_with_pauses() -> None:
    rounds = [[result("healthz", 1000), result("page", 400, p95_ms=20)]] * 3

    assert not judge(rounds, think_ms=0)[1].ratio_ok
    page = judge(rounds, think_ms=1000)[1]
    assert page.ratio_ok and page.p95_ok


def test_cpu_per_request_is_weighted_by_each_rounds_requests() -> None:
    rounds = [
        [result("healthz", 1000), result("page", 500, requests=100)],  # 1.0 ms a request
        [result("healthz", 1000), result("page", 500, requests=300)],  # 3.0 ms a request
    ]

    page = judge(rounds, think_ms=0)[1]

    assert page.app_cpu_ms == pytest.approx((1.0 * 100 + 3.0 * 300) / 400)
    assert page.max_ms == 300.0 and page.non200 == 0
