"""``soundshelf aws cost``: a monthly cost estimate of the AWS deployment, per service.

The model is deliberately plain: a ``Workload`` (people and what they do) becomes monthly
quantities (requests, GB-seconds, GB stored and sent...), and each quantity is priced from
``prices.json`` (dated; see its notes). Every line item carries the formula and inputs it
came from, so an estimate can be checked by hand and an assumption changed on the command
line. It estimates the architecture of infra/template.yaml with the app as it is: media is
streamed from presigned S3 URLs unless ``media_via_cloudfront`` says otherwise.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from importlib import resources
from typing import Any

DAYS = 30  # a month, for per-day habits
SECONDS_PER_MONTH = DAYS * 86400
KB = 1e-6  # in GB (decimal, as AWS bills)
MB = 1e-3
# What infra/template.yaml deploys (tests/infra checks these against the template).
ALARMS = 7
DASHBOARDS = 1
API_MEMORY_GB = 1.0
PROCESSING_MEMORY_GB = 2.0
PROCESSING_EPHEMERAL_GB = 10.0
FREE_EPHEMERAL_GB = 0.5


@dataclass(frozen=True)
class Workload:
    """Monthly active users and their habits; every default is an assumption to revisit."""

    users: int
    tracks_per_user: float = 10  # stored, averaged over everyone (most people upload none)
    uploads_per_user_month: float = 1.0
    plays_per_user_day: float = 5
    api_calls_per_visit: float = 20  # pages, lists and forms of one visit to the web app
    api_calls_per_play: float = 2  # the stream URL and the play report
    original_mb: float = 8.0  # an uploaded track (about 4 minutes of 256 kbps)
    stream_mb: float = 4.0  # what a play sends (the 128 kbps rendition)
    derived_mb: float = 0.3  # cover sizes and waveform per track
    originals_cold_share: float = 0.6  # originals Intelligent-Tiering moved to infrequent
    media_gets_per_play: float = 3  # browsers fetch audio in byte ranges
    web_visits_per_user_month: float = 20
    web_requests_per_visit: float = 25  # modules revalidated (no-cache) on each visit
    web_mb_per_visit: float = 0.2  # after the browser cache
    api_ms: float = 60  # mean API function duration
    processing_s_per_upload: float = 15  # decode, transcode, waveform, thumbnails
    light_job_ms: float = 300  # an upload event or a notification fan-out
    light_jobs_per_upload: float = 2
    rru_per_api_call: float = 3  # profile check plus a query or a batch get
    wru_per_api_call: float = 0.3  # most calls read
    wru_per_play: float = 6  # plays shard, listener (+index), history item
    rru_per_play: float = 2
    wru_per_upload: float = 25  # upload, track and its 3 indexes, hash, counters, feed
    table_kb_per_user: float = 5  # profile, reservations, follows, likes
    table_kb_per_track: float = 4  # the item and its index copies
    history_kb_per_play: float = 0.3  # history + listener items, kept 90 days (TTL)
    log_kb_per_api_call: float = 1.2  # app access line, API access line, Lambda REPORT
    log_kb_per_job: float = 3
    log_compression: float = 0.15  # stored size over ingested size
    sqs_requests_per_job: float = 3  # send, receive, delete
    sqs_idle_polls_month: float = 648_000  # the event source's long polls (5 x 3/min)
    media_via_cloudfront: bool = False  # True with CloudFront media URLs (deploy step 2)

    @property
    def plays(self) -> float:
        return self.users * self.plays_per_user_day * DAYS

    @property
    def api_calls(self) -> float:
        return self.web_visits * self.api_calls_per_visit + self.plays * self.api_calls_per_play

    @property
    def uploads(self) -> float:
        return self.users * self.uploads_per_user_month

    @property
    def tracks(self) -> float:
        return self.users * self.tracks_per_user

    @property
    def jobs(self) -> float:
        return self.uploads * (1 + self.light_jobs_per_upload)

    @property
    def web_visits(self) -> float:
        return self.users * self.web_visits_per_user_month


@dataclass(frozen=True)
class LineItem:
    service: str
    item: str
    quantity: float
    unit: str
    price: str  # the unit price(s), as text
    formula: str  # where the quantity comes from, with its inputs
    cost: float  # USD a month, free tier not applied
    cost_free_tier: float  # USD a month once the always-free allowance is used


@dataclass
class Estimate:
    workload: Workload
    priced_on: str
    items: list[LineItem] = field(default_factory=list)

    def total(self, *, free_tier: bool) -> float:
        return sum(i.cost_free_tier if free_tier else i.cost for i in self.items)

    def by_service(self, *, free_tier: bool) -> dict[str, float]:
        totals: dict[str, float] = {}
        for i in self.items:
            totals[i.service] = totals.get(i.service, 0.0) + (
                i.cost_free_tier if free_tier else i.cost
            )
        return totals


def load_prices() -> dict[str, Any]:
    text = (resources.files("soundshelf.aws_tools") / "prices.json").read_text()
    return json.loads(text)


def tiered(quantity: float, tiers: Sequence[dict[str, Any]], *, free: float = 0) -> float:
    """Cost of ``quantity`` over cumulative tiers; ``free`` units come off the cheapest
    end first, as AWS applies its free tiers before the paid ones."""
    cost, low = 0.0, 0.0
    for tier in tiers:
        high = float("inf") if tier["up_to"] is None else float(tier["up_to"])
        billable = max(0.0, min(quantity, high) - max(low, free))
        cost += billable * float(tier["price"])
        low = high
    return cost


def _tiers_text(tiers: Sequence[dict[str, Any]], unit: str) -> str:
    return " / ".join(f"${t['price']:g}" for t in tiers) + f" per {unit} (tiered)"


def _flat(quantity: float, price: float, per: float, free: float) -> tuple[float, float]:
    """(cost, cost after the free allowance) at ``price`` per ``per`` units."""
    return quantity * price / per, max(0.0, quantity - free) * price / per


class _Builder:
    def __init__(self, w: Workload, prices: dict[str, Any]) -> None:
        self.w = w
        self.p = prices["services"]
        self.items: list[LineItem] = []

    def add(
        self,
        service: str,
        item: str,
        quantity: float,
        unit: str,
        price: str,
        formula: str,
        costs: tuple[float, float],
    ) -> None:
        self.items.append(LineItem(service, item, quantity, unit, price, formula, *costs))

    def flat(
        self,
        service: str,
        item: str,
        quantity: float,
        unit: str,
        formula: str,
        *,
        price: float,
        per: float = 1,
        free: float = 0,
        per_text: str = "",
    ) -> None:
        price_text = f"${price:g} per {per_text or unit}"
        self.add(
            service, item, quantity, unit, price_text, formula, _flat(quantity, price, per, free)
        )

    def tier(
        self,
        service: str,
        item: str,
        quantity: float,
        unit: str,
        formula: str,
        *,
        tiers: Sequence[dict[str, Any]],
        free: float = 0,
    ) -> None:
        costs = (tiered(quantity, tiers), tiered(quantity, tiers, free=free))
        self.add(service, item, quantity, unit, _tiers_text(tiers, unit), formula, costs)


def _lambda(b: _Builder) -> None:
    w, p = b.w, b.p["lambda"]
    light = w.uploads * w.light_jobs_per_upload
    requests = w.api_calls + w.jobs
    b.flat(
        "Lambda",
        "requests",
        requests,
        "requests",
        f"API calls {w.api_calls:,.0f} + jobs {w.jobs:,.0f}",
        price=p["requests_per_million"],
        per=1e6,
        free=p["free_tier"]["requests"],
        per_text="million requests",
    )
    api_gbs = w.api_calls * w.api_ms / 1000 * API_MEMORY_GB
    processing_s = w.uploads * w.processing_s_per_upload + light * w.light_job_ms / 1000
    processing_gbs = processing_s * PROCESSING_MEMORY_GB
    b.flat(
        "Lambda",
        "compute",
        api_gbs + processing_gbs,
        "GB-s",
        f"API {w.api_calls:,.0f} x {w.api_ms:g} ms x {API_MEMORY_GB:g} GB + processing "
        f"{processing_s:,.0f} s x {PROCESSING_MEMORY_GB:g} GB",
        price=p["gb_second_x86"],
        free=p["free_tier"]["gb_seconds"],
    )
    extra_gb = PROCESSING_EPHEMERAL_GB - FREE_EPHEMERAL_GB
    b.flat(
        "Lambda",
        "ephemeral storage over 512 MB",
        processing_s * extra_gb,
        "GB-s",
        f"processing {processing_s:,.0f} s x {extra_gb:g} GB",
        price=p["ephemeral_gb_second"],
    )


def _api_gateway(b: _Builder) -> None:
    w, p = b.w, b.p["api_gateway_http"]
    b.tier(
        "API Gateway",
        "HTTP API requests",
        w.api_calls / 1e6,
        "million requests",
        f"visits {w.web_visits:,.0f} x {w.api_calls_per_visit:g} + plays {w.plays:,.0f} x "
        f"{w.api_calls_per_play:g}",
        tiers=p["requests_per_million"],
        free=p["free_tier"]["requests"] / 1e6,
    )


def _dynamodb(b: _Builder) -> None:
    w, p = b.w, b.p["dynamodb"]
    writes = w.api_calls * w.wru_per_api_call + w.plays * w.wru_per_play
    writes += w.uploads * w.wru_per_upload
    reads = w.api_calls * w.rru_per_api_call + w.plays * w.rru_per_play
    b.flat(
        "DynamoDB",
        "write request units",
        writes,
        "WRU",
        f"API calls x {w.wru_per_api_call:g} + plays x {w.wru_per_play:g} + uploads x "
        f"{w.wru_per_upload:g}",
        price=p["write_request_units_per_million"],
        per=1e6,
        per_text="million WRU",
    )
    b.flat(
        "DynamoDB",
        "read request units",
        reads,
        "RRU",
        f"API calls x {w.rru_per_api_call:g} + plays x {w.rru_per_play:g}",
        price=p["read_request_units_per_million"],
        per=1e6,
        per_text="million RRU",
    )
    history_kb = w.plays * 3 * w.history_kb_per_play  # 90 days = 3 months of plays
    table_gb = (w.users * w.table_kb_per_user + w.tracks * w.table_kb_per_track + history_kb) * KB
    formula = (
        f"users x {w.table_kb_per_user:g} KB + tracks x {w.table_kb_per_track:g} KB + "
        f"90 days of plays x {w.history_kb_per_play:g} KB"
    )
    b.flat(
        "DynamoDB",
        "storage",
        table_gb,
        "GB-month",
        formula,
        price=p["storage_gb_month"],
        free=p["free_tier"]["storage_gb"],
    )
    b.flat(
        "DynamoDB",
        "point-in-time recovery",
        table_gb,
        "GB-month",
        "table size",
        price=p["pitr_gb_month"],
    )


def _s3(b: _Builder) -> None:
    w, p = b.w, b.p["s3"]
    originals_gb = w.tracks * w.original_mb * MB
    cold = w.originals_cold_share
    b.flat(
        "S3",
        "originals, Intelligent-Tiering (frequent)",
        originals_gb * (1 - cold),
        "GB-month",
        f"tracks {w.tracks:,.0f} x {w.original_mb:g} MB x {1 - cold:g}",
        price=p["intelligent_tiering_frequent_gb_month"],
    )
    b.flat(
        "S3",
        "originals, Intelligent-Tiering (infrequent)",
        originals_gb * cold,
        "GB-month",
        f"tracks x {w.original_mb:g} MB x {cold:g} not read for 30 days",
        price=p["intelligent_tiering_infrequent_gb_month"],
    )
    b.flat(
        "S3",
        "Intelligent-Tiering monitoring",
        w.tracks,
        "objects",
        "one original per track",
        price=p["intelligent_tiering_monitoring_per_1000_objects"],
        per=1000,
        per_text="1,000 objects",
    )
    derived_gb = w.tracks * (w.stream_mb + w.derived_mb) * MB
    b.tier(
        "S3",
        "renditions and images (Standard)",
        derived_gb,
        "GB-month",
        f"tracks x ({w.stream_mb:g} + {w.derived_mb:g}) MB",
        tiers=p["standard_gb_month"],
        free=p["free_tier"]["standard_gb"],
    )
    puts = w.uploads * 5  # the original (or its parts) and four derivatives
    b.flat(
        "S3",
        "PUT/POST requests",
        puts,
        "requests",
        "uploads x 5",
        price=p["put_per_1000"],
        per=1000,
        free=p["free_tier"]["put"],
        per_text="1,000 requests",
    )
    gets = 0 if w.media_via_cloudfront else w.plays * w.media_gets_per_play
    gets += w.uploads  # processing reads each original once
    b.flat(
        "S3",
        "GET requests",
        gets,
        "requests",
        "uploads" + ("" if w.media_via_cloudfront else f" + plays x {w.media_gets_per_play:g}"),
        price=p["get_per_1000"],
        per=1000,
        free=p["free_tier"]["get"],
        per_text="1,000 requests",
    )


def _delivery(b: _Builder) -> None:
    w = b.w
    media_gb = w.plays * w.stream_mb * MB
    web_gb = w.web_visits * w.web_mb_per_visit * MB
    cf, dto = b.p["cloudfront"], b.p["data_transfer_out"]
    cf_gb = web_gb + (media_gb if w.media_via_cloudfront else 0)
    cf_formula = f"visits {w.web_visits:,.0f} x {w.web_mb_per_visit:g} MB"
    if w.media_via_cloudfront:
        cf_formula += f" + plays {w.plays:,.0f} x {w.stream_mb:g} MB"
    else:
        b.tier(
            "S3",
            "data transfer out (media streams)",
            media_gb,
            "GB",
            f"plays {w.plays:,.0f} x {w.stream_mb:g} MB",
            tiers=dto["internet_gb"],
            free=dto["free_tier"]["gb"],
        )
    b.tier(
        "CloudFront",
        "data transfer out",
        cf_gb,
        "GB",
        cf_formula,
        tiers=cf["internet_gb"],
        free=cf["free_tier"]["gb"],
    )
    requests = w.web_visits * w.web_requests_per_visit
    if w.media_via_cloudfront:
        requests += w.plays * w.media_gets_per_play
    b.flat(
        "CloudFront",
        "HTTPS requests",
        requests,
        "requests",
        f"visits x {w.web_requests_per_visit:g}"
        + (" + media GETs" if w.media_via_cloudfront else ""),
        price=cf["https_requests_per_10000"],
        per=10_000,
        free=cf["free_tier"]["requests"],
        per_text="10,000 requests",
    )
    pages = w.web_visits * w.web_requests_per_visit
    b.flat(
        "CloudFront",
        "function invocations (app shell)",
        pages,
        "invocations",
        "every web request",
        price=cf["function_invocations_per_million"],
        per=1e6,
        free=cf["free_tier"]["function_invocations"],
        per_text="million invocations",
    )


def _cognito(b: _Builder) -> None:
    p = b.p["cognito"]
    b.tier(
        "Cognito",
        "monthly active users (Lite)",
        b.w.users,
        "MAU",
        "every user signs in or refreshes",
        tiers=p["lite_mau"],
        free=p["free_tier"]["mau"],
    )


def _sqs(b: _Builder) -> None:
    w, p = b.w, b.p["sqs"]
    requests = w.jobs * w.sqs_requests_per_job + w.sqs_idle_polls_month
    b.flat(
        "SQS",
        "requests",
        requests,
        "requests",
        f"jobs {w.jobs:,.0f} x {w.sqs_requests_per_job:g} + idle polls "
        f"{w.sqs_idle_polls_month:,.0f}",
        price=p["requests_per_million"],
        per=1e6,
        free=p["free_tier"]["requests"],
        per_text="million requests",
    )


def _cloudwatch(b: _Builder) -> None:
    w, p = b.w, b.p["cloudwatch"]
    ingested = (w.api_calls * w.log_kb_per_api_call + w.jobs * w.log_kb_per_job) * KB
    b.flat(
        "CloudWatch",
        "logs ingested",
        ingested,
        "GB",
        f"API calls x {w.log_kb_per_api_call:g} KB + jobs x {w.log_kb_per_job:g} KB",
        price=p["logs_ingested_gb"],
        free=p["free_tier"]["logs_gb"],
    )
    stored = ingested * w.log_compression  # 30-day retention keeps about one month
    b.flat(
        "CloudWatch",
        "logs stored",
        stored,
        "GB-month",
        f"ingested x {w.log_compression:g}",
        price=p["logs_stored_gb_month"],
    )
    b.flat(
        "CloudWatch",
        "alarms",
        ALARMS,
        "alarms",
        "in the template",
        price=p["alarm_month"],
        per_text="alarm",
        free=p["free_tier"]["alarms"],
    )
    b.flat(
        "CloudWatch",
        "dashboard",
        DASHBOARDS,
        "dashboards",
        "in the template",
        price=p["dashboard_month"],
        per_text="dashboard",
        free=p["free_tier"]["dashboards"],
    )
    x = b.p["xray"]
    # Lambda's default sampling: the first request each second, then 5% of the rest.
    invocations = w.api_calls + w.jobs
    traces = min(invocations, SECONDS_PER_MONTH) + 0.05 * max(0.0, invocations - SECONDS_PER_MONTH)
    b.flat(
        "X-Ray",
        "traces recorded",
        traces,
        "traces",
        "1 per second + 5% of the other invocations",
        price=x["traces_recorded_per_million"],
        per=1e6,
        free=x["free_tier"]["traces"],
        per_text="million traces",
    )


SERVICES = (_lambda, _api_gateway, _dynamodb, _s3, _delivery, _cognito, _sqs, _cloudwatch)


def estimate(workload: Workload, prices: dict[str, Any] | None = None) -> Estimate:
    prices = prices or load_prices()
    builder = _Builder(workload, prices)
    for service in SERVICES:
        service(builder)
    return Estimate(workload, prices["priced_on"], builder.items)


def workload_fields() -> list[str]:
    return [f.name for f in fields(Workload) if f.name != "users"]


# --- text output ---------------------------------------------------------------------------


def _money(value: float) -> str:
    return f"${value:,.2f}"


def render_details(est: Estimate) -> str:
    """Every line item of one estimate, with its formula."""
    lines = [
        f"Monthly estimate for {est.workload.users:,} monthly active users "
        f"(us-east-1 list prices of {est.priced_on}; review prices.json before relying on it)",
        "",
        "| service | item | quantity | price | formula | cost | with free tier |",
        "|---|---|---:|---|---|---:|---:|",
    ]
    for i in est.items:
        lines.append(
            f"| {i.service} | {i.item} | {i.quantity:,.1f} {i.unit} | {i.price} | {i.formula} "
            f"| {_money(i.cost)} | {_money(i.cost_free_tier)} |"
        )
    lines.append(
        f"| **total** | | | | | **{_money(est.total(free_tier=False))}** "
        f"| **{_money(est.total(free_tier=True))}** |"
    )
    return "\n".join(lines)


def render_comparison(estimates: Iterable[Estimate]) -> str:
    """Per-service totals side by side: one column per user count (without / with the
    free tier)."""
    estimates = list(estimates)
    services = list(dict.fromkeys(i.service for e in estimates for i in e.items))
    head = " | ".join(f"{e.workload.users:,} users" for e in estimates)
    lines = [f"| service | {head} |", "|---|" + "---:|" * len(estimates)]

    def row(name: str, values: list[tuple[float, float]]) -> str:
        cells = " | ".join(f"{_money(a)} ({_money(b)})" for a, b in values)
        return f"| {name} | {cells} |"

    for service in services:
        values = [
            (
                e.by_service(free_tier=False).get(service, 0.0),
                e.by_service(free_tier=True).get(service, 0.0),
            )
            for e in estimates
        ]
        lines.append(row(service, values))
    totals = [(e.total(free_tier=False), e.total(free_tier=True)) for e in estimates]
    lines.append(row("**total**", totals))
    lines.append("")
    lines.append("USD a month without the free tier (with the always-free allowances in brackets).")
    return "\n".join(lines)


# --- the CLI command ----------------------------------------------------------------------


def parse_assumptions(pairs: Iterable[str]) -> dict[str, Any]:
    """``NAME=VALUE`` pairs (``--assume plays_per_user_day=20``) as Workload fields."""
    types = {f.name: f.type for f in fields(Workload)}
    values: dict[str, Any] = {}
    for pair in pairs:
        name, sep, raw = pair.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or name not in types or name == "users":
            raise ValueError(f"unknown assumption {pair!r}; one of: {', '.join(workload_fields())}")
        if types[name] in (bool, "bool"):
            values[name] = raw.strip().lower() in {"1", "true", "yes", "on"}
        else:
            values[name] = float(raw)
    return values


def run(*, users: Sequence[int], assumptions: dict[str, Any], as_json: bool = False) -> int:
    prices = load_prices()
    estimates = [estimate(Workload(users=n, **assumptions), prices) for n in users]
    if as_json:
        print(json.dumps([_as_dict(e) for e in estimates], indent=2))
    elif len(estimates) == 1:
        print(render_details(estimates[0]))
    else:
        print(render_comparison(estimates))
    return 0


def _as_dict(est: Estimate) -> dict[str, Any]:
    return {
        "priced_on": est.priced_on,
        "workload": {f.name: getattr(est.workload, f.name) for f in fields(Workload)},
        "items": [{f.name: getattr(i, f.name) for f in fields(LineItem)} for i in est.items],
        "total": est.total(free_tier=False),
        "total_with_free_tier": est.total(free_tier=True),
    }
