"""The cost model: sane in users, honest about the free tier, and every number traceable."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from soundshelf.aws_tools import cost
from soundshelf.aws_tools.cost import Workload, estimate, load_prices, tiered
from soundshelf.cli import main

USER_COUNTS = [0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000]


@pytest.fixture(scope="module")
def prices() -> dict:
    return load_prices()


def test_price_table_is_dated_sourced_and_flagged_for_review(prices: dict) -> None:
    assert dt.date.fromisoformat(prices["priced_on"])
    assert prices["review_needed"] is True
    assert prices["region"] == "us-east-1"
    for name, service in prices["services"].items():
        assert service["source"].startswith("https://aws.amazon.com/"), name
        assert "free_tier" in service, name


@pytest.mark.parametrize("free_tier", [False, True])
def test_cost_never_falls_as_users_grow(prices: dict, free_tier: bool) -> None:
    estimates = [estimate(Workload(users=n), prices) for n in USER_COUNTS]
    totals = [e.total(free_tier=free_tier) for e in estimates]
    assert totals == sorted(totals)
    assert totals[-1] > 100 * totals[1]
    for service in estimates[0].by_service(free_tier=free_tier):
        series = [e.by_service(free_tier=free_tier)[service] for e in estimates]
        assert series == sorted(series), service


def test_free_tier_lowers_the_bill(prices: dict) -> None:
    for users in USER_COUNTS:
        est = estimate(Workload(users=users), prices)
        assert est.total(free_tier=True) <= est.total(free_tier=False)
    small = estimate(Workload(users=10_000), prices)
    assert small.total(free_tier=True) < small.total(free_tier=False) - 50  # Cognito's 10k MAU


def test_no_users_costs_only_the_fixed_monitoring(prices: dict) -> None:
    est = estimate(Workload(users=0), prices)
    cw, sqs = prices["services"]["cloudwatch"], prices["services"]["sqs"]
    fixed = (
        cost.ALARMS * cw["alarm_month"]
        + cost.DASHBOARDS * cw["dashboard_month"]
        + Workload(users=0).sqs_idle_polls_month * sqs["requests_per_million"] / 1e6
    )
    assert est.total(free_tier=False) == pytest.approx(fixed)
    assert est.total(free_tier=True) == pytest.approx(0)


def test_tiers_charge_each_slice_at_its_price_and_free_units_first() -> None:
    tiers = [
        {"up_to": 100, "price": 1.0},
        {"up_to": 1000, "price": 0.5},
        {"up_to": None, "price": 0.1},
    ]
    assert tiered(50, tiers) == 50
    assert tiered(1500, tiers) == 100 + 450 + 50
    assert tiered(1500, tiers, free=100) == 450 + 50
    assert tiered(80, tiers, free=100) == 0


def test_line_items_show_their_inputs(prices: dict) -> None:
    workload = Workload(users=1000, plays_per_user_day=7)
    est = estimate(workload, prices)
    services = {i.service for i in est.items}
    assert services == {
        "Lambda",
        "API Gateway",
        "DynamoDB",
        "S3",
        "CloudFront",
        "Cognito",
        "SQS",
        "CloudWatch",
        "X-Ray",
    }
    for item in est.items:
        assert item.formula
        assert item.price.startswith("$")
        assert 0 <= item.cost_free_tier <= item.cost
    (egress,) = [i for i in est.items if i.item.startswith("data transfer out (media")]
    assert "plays 210,000 x 4 MB" in egress.formula  # 1000 users x 7 a day x 30 days
    assert egress.quantity == pytest.approx(1000 * 7 * 30 * 4 / 1000)


def test_media_through_cloudfront_moves_the_egress(prices: dict) -> None:
    s3 = estimate(Workload(users=100_000), prices)
    cdn = estimate(Workload(users=100_000, media_via_cloudfront=True), prices)
    assert cdn.by_service(free_tier=False)["S3"] < s3.by_service(free_tier=False)["S3"]
    assert (
        cdn.by_service(free_tier=False)["CloudFront"] > s3.by_service(free_tier=False)["CloudFront"]
    )


def test_cli_prints_a_comparison_and_takes_assumptions(capsys: pytest.CaptureFixture) -> None:
    assert main(["aws", "cost", "--users", "100", "10000", "--plays-per-user-day", "3"]) == 0
    table = capsys.readouterr().out
    assert "| 100 users | 10,000 users |" in table
    assert "**total**" in table
    assert main(["aws", "cost", "--users", "50", "--assume", "stream_mb=2", "--json"]) == 0
    (data,) = json.loads(capsys.readouterr().out)
    assert data["workload"]["stream_mb"] == 2
    assert data["total_with_free_tier"] <= data["total"]
    assert main(["aws", "cost", "--users", "5", "--assume", "colour=blue"]) == 2
    assert "unknown assumption" in capsys.readouterr().err
