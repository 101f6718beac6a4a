"""The default shape: a small SaaS company's clickstream and CRM, its purchase and service journeys.

The company sells two product lines, "pro" and "basic", to businesses and consumers. Each person
walks through its touchpoints (ads, blog, pricing, docs, trial, sales calls, opportunities, orders,
help pages, chats, tickets, surveys) as a Markov chain whose transitions depend on the person's
intent; the walk is vectorised over thousands of persons at once with numpy.

Identity: persons have 1–3 devices (`anon-<hex>`); those who sign up get a user id (`u<digits>`) that
clickstream rows carry once the device is signed in; CRM rows carry the customer id (digits, e.g.
`7000123`: text in CSV and Parquet, half the time a JSON number in JSON Lines), often the user id,
sometimes the email (`First.Last.<n>@Example.com`, case and surrounding spaces varying). A store
tablet that 55–80 account holders sign in on, topped up by a credential-stuffing bot when a chunk
has too few account holders, gives every chunk of persons one identity component of more than 50
identifiers.
"""

import json
import math
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from journey_samples.events import (CLICKSTREAM, CRM, CRM_EXTRA_COLUMN, DAY_MS, HOUR_MS, Calendar, Events, draw,
                                    hex_ids, id_key, numbered, time_of_day, vocabulary)

MAX_STEPS = 300  # a cap on one person's walk; real walks end long before

WWW = "https://www.example.com"
APP = "https://app.example.com"

# --- The company: its touchpoints ---------------------------------------------------------------


@dataclass(frozen=True)
class Touchpoint:
    """One kind of moment the company's systems record, and what its rows look like."""

    key: str
    source: str
    name: str  # clickstream event name, or "object action" for the CRM
    host: str = WWW
    paths: tuple[str, ...] = ()  # most visited first
    channels: tuple[str, ...] = ()
    extra: tuple[str, tuple[str, ...]] | None = None  # one more property and its values
    carries_product: bool = False
    signs_in: bool = False  # the row proves the person signed in on the device


BLOG_SLUGS = (
    "customer-journey-mapping-guide", "funnel-analysis-101", "b2b-lead-scoring", "churn-signals",
    "nps-vs-csat", "onboarding-checklist", "attribution-models-explained", "cohort-retention",
    "sales-handoff", "product-led-growth", "pricing-page-teardown", "event-tracking-plan",
    "dashboards-that-matter", "customer-health-score", "win-loss-analysis", "self-serve-vs-sales-led",
    "data-quality-checks", "gdpr-friendly-analytics", "activation-metrics", "expansion-revenue",
)
TOUCHPOINTS = (
    Touchpoint("ad_click", CLICKSTREAM, "ad_click",
               paths=("/", "/pricing", "/product/analytics", "/product/automation",
                      "/blog/customer-journey-mapping-guide"), carries_product=True),
    Touchpoint("home", CLICKSTREAM, "page_view",
               paths=("/", "/customers", "/about", "/contact", "/careers", "/legal/privacy")),
    Touchpoint("blog", CLICKSTREAM, "page_view", paths=tuple(f"/blog/{slug}" for slug in BLOG_SLUGS)),
    Touchpoint("product", CLICKSTREAM, "page_view",
               paths=tuple(f"/product/{feature}" for feature in (
                   "analytics", "automation", "integrations", "reporting", "collaboration", "security",
                   "api", "mobile")), carries_product=True),
    Touchpoint("pricing", CLICKSTREAM, "page_view", paths=("/pricing",), carries_product=True),
    Touchpoint("pricing_enterprise", CLICKSTREAM, "page_view", paths=("/pricing/enterprise",),
               carries_product=True),
    Touchpoint("docs", CLICKSTREAM, "page_view",
               paths=tuple(f"/docs/{page}" for page in (
                   "getting-started", "api/authentication", "api/events", "sdk/python", "sdk/javascript",
                   "integrations/salesforce", "integrations/hubspot", "data-export", "sso"))),
    Touchpoint("signup_page", CLICKSTREAM, "page_view", paths=("/signup",), carries_product=True),
    Touchpoint("signup", CLICKSTREAM, "signup", APP, ("/welcome",), carries_product=True, signs_in=True),
    Touchpoint("login", CLICKSTREAM, "login", APP, ("/login",), signs_in=True),
    Touchpoint("trial_started", CLICKSTREAM, "trial_started", APP, ("/onboarding",), carries_product=True,
               signs_in=True),
    Touchpoint("feature_used", CLICKSTREAM, "feature_used", APP, ("/app",),
               extra=("feature", ("dashboards", "reports", "automations", "alerts", "integrations",
                                  "exports")), carries_product=True, signs_in=True),
    Touchpoint("account", CLICKSTREAM, "page_view", APP,
               ("/account/billing", "/account/settings", "/account/team", "/account/plan"), signs_in=True),
    Touchpoint("help", CLICKSTREAM, "page_view",
               paths=tuple(f"/help/{topic}" for topic in (
                   "reset-password", "billing", "invoices", "sso-setup", "export-data", "integrations",
                   "api-limits"))),
    Touchpoint("lead", CRM, "lead created", channels=("web", "event", "partner")),
    Touchpoint("email", CRM, "email opened", channels=("email",),
               extra=("campaign", ("nurture-1", "nurture-2", "webinar-invite", "product-update",
                                   "renewal-reminder"))),
    Touchpoint("call", CRM, "call completed", channels=("phone", "sales")),
    Touchpoint("opportunity_stage", CRM, "opportunity stage_changed", channels=("sales",),
               extra=("stage", ("qualification", "demo", "proposal", "negotiation")), carries_product=True),
    Touchpoint("opportunity_won", CRM, "opportunity won", channels=("sales",), carries_product=True),
    Touchpoint("opportunity_lost", CRM, "opportunity lost", channels=("sales",),
               extra=("reason", ("price", "competitor", "no_decision", "timing")), carries_product=True),
    Touchpoint("order", CRM, "order created", channels=("web", "sales", "store"), carries_product=True),
    Touchpoint("chat", CRM, "chat started", channels=("chat",),
               extra=("topic", ("billing", "login", "integration", "bug", "data-export"))),
    Touchpoint("ticket_opened", CRM, "ticket opened", channels=("chat", "email", "phone"),
               extra=("topic", ("billing", "login", "integration", "bug", "data-export"))),
    Touchpoint("ticket_resolved", CRM, "ticket resolved", channels=("chat", "email", "phone")),
    Touchpoint("survey", CRM, "survey answered", channels=("email",),
               extra=("score_kind", ("csat", "nps", "sentiment"))),
    Touchpoint("visit", CRM, "visit completed", channels=("store",)),
)
STATE = {touchpoint.key: index for index, touchpoint in enumerate(TOUCHPOINTS)}
END = len(TOUCHPOINTS)

# --- The company: how people move between touchpoints ---------------------------------------------

# Relative weights of the next touchpoint; "end" ends the walk. Backward moves (pricing → blog) and
# skipped stages (ad → signup page, sales call → order) are all in here.
TRANSITIONS = {
    "ad_click": {"blog": 2, "product": 3, "pricing": 2, "home": 1, "signup_page": 0.6, "end": 1.2},
    "home": {"blog": 2, "product": 2.5, "pricing": 2, "docs": 0.6, "home": 0.5, "signup_page": 0.4,
             "login": 0.3, "end": 2.2},
    "blog": {"blog": 4.5, "product": 1.2, "pricing": 1, "home": 0.6, "signup_page": 0.3, "lead": 0.2, "end": 3},
    "product": {"product": 3, "pricing": 2.2, "docs": 1, "blog": 0.6, "signup_page": 0.8, "end": 2},
    "pricing": {"pricing_enterprise": 0.8, "product": 1, "blog": 0.5, "signup_page": 1.4, "lead": 0.3,
                "pricing": 0.3, "end": 2},
    "pricing_enterprise": {"lead": 1.5, "pricing": 0.6, "product": 0.4, "end": 1.5},
    "docs": {"docs": 3, "product": 0.8, "pricing": 0.8, "signup_page": 0.4, "login": 0.4, "end": 2},
    "signup_page": {"signup": 3, "pricing": 0.5, "end": 1.2},
    "signup": {"trial_started": 2.5, "feature_used": 1, "end": 0.3},
    "login": {"feature_used": 4, "account": 0.8, "help": 0.5, "pricing": 0.3, "end": 0.5},
    "trial_started": {"feature_used": 4, "help": 0.4, "end": 0.6},
    "feature_used": {"feature_used": 6, "login": 1.2, "account": 0.5, "pricing": 0.6, "help": 0.5,
                     "call": 0.15, "order": 0.25, "end": 1.8},
    "account": {"order": 0.7, "feature_used": 1, "login": 0.4, "help": 0.2, "end": 1},
    "help": {"help": 1.8, "chat": 0.6, "ticket_opened": 0.5, "login": 0.5, "end": 1.5},
    "lead": {"email": 2, "call": 1.8, "end": 1.5},
    "email": {"email": 0.8, "call": 0.8, "pricing": 0.8, "blog": 0.5, "login": 0.3, "end": 2.2},
    "call": {"opportunity_stage": 2, "email": 1, "call": 0.6, "signup_page": 0.4, "end": 1.2},
    "opportunity_stage": {"opportunity_stage": 1, "call": 1, "opportunity_won": 1, "opportunity_lost": 0.7,
                          "email": 0.3, "end": 0.4},
    "opportunity_won": {"order": 6, "end": 0.2},
    "opportunity_lost": {"email": 0.6, "blog": 0.3, "end": 3},
    "order": {"login": 2, "feature_used": 0.8, "help": 0.6, "ticket_opened": 0.3, "survey": 0.3, "end": 1.2},
    "chat": {"ticket_opened": 1.2, "help": 0.4, "login": 0.3, "end": 1},
    "ticket_opened": {"ticket_resolved": 4, "chat": 0.3, "end": 0.6},
    "ticket_resolved": {"survey": 1.8, "login": 1, "help": 0.4, "ticket_opened": 0.3, "end": 1.3},
    "survey": {"login": 1, "help": 0.3, "end": 2.5},
    "visit": {"order": 1, "pricing": 0.5, "call": 0.3, "end": 1.5},
}
# Intent (low, mid, high): how readily a person moves on towards a purchase, and how soon they leave.
INTENT_SHARES = (0.62, 0.28, 0.10)
INTENT_END_FACTOR = (0.25, 0.2, 0.14)
INTENT_PROGRESS_FACTOR = (0.4, 1.1, 2.4)
PROGRESS = ("signup_page", "signup", "trial_started", "lead", "call", "opportunity_won", "order")

# Where walks start: most people arrive through ads and search; a few are first seen by sales or in
# the store; existing customers (who bought before the period) start in the service touchpoints.
ENTRY = {"ad_click": 28, "blog": 24, "home": 16, "product": 8, "pricing": 5, "docs": 4, "lead": 4, "call": 4,
         "email": 2, "visit": 2, "pricing_enterprise": 1}
CUSTOMER_ENTRY = {"help": 4, "login": 4, "ticket_opened": 2}
EXISTING_CUSTOMER_SHARE = 0.08
REORDER_SKIP = 0.85
PRO_SHARE = 0.4
DEVICES_PER_PERSON = (0.55, 0.33, 0.12)  # one, two or three devices
MOBILE_SHARE = 0.45

# --- The company: time between touchpoints ---------------------------------------------------------

GAP_SESSION, GAP_NEW_SESSION, GAP_INSTANT, GAP_HOURS, GAP_BUSINESS_DAYS = range(5)
STAY_IN_SESSION = 0.72
INACTIVE_SHARE = 0.015  # gaps of 31–60 days, so some journeys are cut by inactivity
GAP_OVERRIDES = {
    GAP_INSTANT: [("pricing_enterprise", "lead"), ("pricing", "lead"), ("blog", "lead"), ("feature_used", "order"),
                  ("account", "order"), ("visit", "order"), ("help", "chat"), ("help", "ticket_opened"),
                  ("chat", "ticket_opened"), ("email", "pricing"), ("email", "blog"), ("signup_page", "signup"),
                  ("signup", "trial_started"), ("signup", "feature_used")]
    + [("ad_click", target) for target in TRANSITIONS["ad_click"] if target != "end"],
    GAP_HOURS: [("ticket_opened", "ticket_resolved"), ("ticket_resolved", "survey"), ("opportunity_won", "order"),
                ("ticket_resolved", "ticket_opened")],
}
# UTC hours; the audience is mostly in Europe: quiet nights, busy office hours and evenings.
WEB_HOURS = (1, 0.6, 0.4, 0.3, 0.3, 0.5, 1.2, 2.5, 4, 5, 5.5, 5.5, 5, 5, 5.5, 5.5, 5, 4.5, 4.5, 5, 5, 4, 3, 2)
CRM_HOURS = (0, 0, 0, 0, 0, 0, 0, 0.5, 3, 5, 5, 5, 3, 5, 5, 5, 4, 1, 0, 0, 0, 0, 0, 0)

# --- The company: what its rows carry ------------------------------------------------------------------

# (utm_source, utm_medium, utm_campaign, the referrer an ad click arrives with, product line)
CAMPAIGNS = (
    ("google", "cpc", "pro-analytics-search", "https://www.google.com/", "pro"),
    ("linkedin", "paid_social", "pro-abm-q3", "https://www.linkedin.com/", "pro"),
    ("google", "cpc", "basic-brand", "https://www.google.com/", "basic"),
    ("facebook", "paid_social", "basic-smb-autumn", "https://l.facebook.com/", "basic"),
    ("bing", "cpc", "basic-brand", "https://www.bing.com/", "basic"),
    ("newsletter", "email", "monthly-digest", None, None),
    ("newsletter", "email", "product-update", None, None),
)
PRO_ADS, BASIC_ADS, NEWSLETTERS = (np.array([i for i, campaign in enumerate(CAMPAIGNS) if campaign[4] == line])
                                   for line in ("pro", "basic", None))
NEWSLETTER_BLOG_SHARE = 0.15
PATH_ONLY_SHARE = 0.05  # the mobile app reports paths, not full URLs
REFERRERS = ("https://www.google.com/", "https://www.linkedin.com/", "https://duckduckgo.com/",
             "https://news.ycombinator.com/", "https://t.co/", "https://www.bing.com/")
REFERRER_SHARE = 0.55
MILLISECOND_SHARE = 0.25  # clickstream rows whose time has a fraction

FIRST_NAMES = ("Anna", "Ben", "Carla", "David", "Elif", "Finn", "Greta", "Hugo", "Ines", "Jonas", "Kira", "Luca",
               "Mara", "Nils", "Olga", "Paul", "Rosa", "Sami", "Tara", "Umut", "Vera", "Wim", "Yara", "Zoe")
LAST_NAMES = ("Schmidt", "Martin", "Rossi", "Nowak", "Jansen", "Garcia", "Dubois", "Berg", "Kaya", "Silva",
              "Meyer", "Novak", "Larsen", "Costa", "Weber", "Moreau", "Smith", "Fischer", "Horvat", "Lind")
EMAIL_DOMAINS = ("Example.com", "Example.org", "Mail.Example.net")
REGIONS = ("DACH", "France", "UK & Ireland", "Nordics", "Benelux", "North America", "Iberia")
REGION_SHARES = (0.3, 0.12, 0.14, 0.1, 0.09, 0.18, 0.07)
BASIC_PLAN_PRICES = (348.0, 588.0, 1188.0, 2388.0)


# --- Walking persons through the touchpoints -----------------------------------------------------------


@dataclass
class Persons:
    """A chunk of persons and what stays fixed about each."""

    first: int  # global number of the chunk's first person
    count: int
    intent: np.ndarray
    pro: np.ndarray  # bool: the pro product line, else basic
    devices: np.ndarray  # 1..3
    mobile: np.ndarray  # (count, 3) bool per device
    region: np.ndarray
    deal_size: np.ndarray  # order and opportunity amount
    existing_customer: np.ndarray


@dataclass
class Moments:
    """Every touchpoint reached, one array element each, in walk order per person."""

    person: np.ndarray
    touchpoint: np.ndarray
    at_ms: np.ndarray
    device: np.ndarray  # index into the chunk's anonymous ids
    previous: np.ndarray  # the touchpoint before, -1 at a walk's start
    signed_in: np.ndarray  # web: this device is signed in; CRM: the person has an account
    session_start: np.ndarray
    customer: np.ndarray  # the person has bought by then
    user: np.ndarray  # index into the chunk's user ids (persons first, then bot-only accounts)


def company_events(seed: int, chunk: int, first: int, count: int, calendar: Calendar) -> dict[str, "Events"]:
    """The events of one chunk of persons, by source."""
    rng = np.random.default_rng([seed, chunk])
    persons = _persons(rng, first, count)
    steps, first_signed_in = _walk(rng, persons, calendar)
    tablet, bot_users = _shared_device_step(rng, first_signed_in, persons, calendar)
    moments = _moments(rng, steps + [tablet], calendar)
    return _events(rng, seed, chunk, persons, moments, bot_users)


def _persons(rng: np.random.Generator, first: int, count: int) -> Persons:
    pro = rng.random(count) < PRO_SHARE
    basic_price = np.array(BASIC_PLAN_PRICES)[draw(rng, np.array([0.45, 0.3, 0.18, 0.07]), count)]
    pro_price = np.round(rng.lognormal(math.log(9000), 0.6, count), -1)
    with_vat = rng.random(count) < 0.35
    deal_size = np.where(pro, pro_price, basic_price)
    deal_size = np.where(with_vat, np.round(deal_size * 1.19, 2), deal_size)
    return Persons(
        first=first, count=count,
        intent=draw(rng, np.array(INTENT_SHARES), count),
        pro=pro,
        devices=1 + draw(rng, np.array(DEVICES_PER_PERSON), count),
        mobile=rng.random((count, 3)) < MOBILE_SHARE,
        region=draw(rng, np.array(REGION_SHARES), count),
        deal_size=deal_size,
        existing_customer=rng.random(count) < EXISTING_CUSTOMER_SHARE,
    )


Step = tuple[np.ndarray, ...]  # the columns of Moments, for the persons still walking


def _walk(rng: np.random.Generator, persons: Persons, calendar: Calendar) -> tuple[list[Step], np.ndarray]:
    """Walk every person of the chunk at once, one step per loop, until each walk ends or leaves the period.

    Returns the steps, and per person the time of their first signed-in web event (-1: none).
    """
    n = persons.count
    existing = persons.existing_customer
    person = np.arange(n)
    state = np.where(existing, _draw_keys(rng, CUSTOMER_ENTRY, n), _draw_keys(rng, ENTRY, n))
    day = calendar.start_ms + rng.integers(0, calendar.days, n) * DAY_MS
    at = np.where(IS_WEB[state], day + time_of_day(rng, WEB_HOURS, n),
                  _business_day(day) + time_of_day(rng, CRM_HOURS, n))
    device = _random_device(rng, persons.devices)
    starts_in_period = at < calendar.end_ms  # a weekend start moved to Monday may fall after the period
    person, state, at, device = (column[starts_in_period] for column in (person, state, at, device))
    device_signed_in = np.zeros((n, 3), dtype=bool)
    device_signed_in[existing, 0] = True
    first_signed_in = np.full(n, -1, dtype=np.int64)
    customer = existing.copy()
    previous = np.full(person.size, -1)
    session_start = np.ones(person.size, dtype=bool)
    steps: list[Step] = []
    for _ in range(MAX_STEPS):
        if not person.size:
            break
        web = IS_WEB[state]
        device_signed_in[person, device] |= SIGNS_IN[state]
        customer[person] |= state == STATE["order"]
        signed_in = np.where(web, device_signed_in[person, device], device_signed_in[person].any(axis=1))
        first_time = web & signed_in & (first_signed_in[person] < 0)
        first_signed_in[person[first_time]] = at[first_time]
        steps.append((person, state, at, person * 3 + device, previous, signed_in, session_start & web,
                      customer[person], person))
        following = _next_touchpoint(rng, persons.intent[person], state)
        # customers seldom buy again within two months: most go back to using the product
        again = (following == STATE["order"]) & customer[person] & (rng.random(person.size) < REORDER_SKIP)
        following[again] = STATE["feature_used"]
        going_on = following != END
        previous, person, following = state[going_on], person[going_on], following[going_on]
        following_at, new_session = _advance(rng, previous, following, at[going_on])
        device = np.where(new_session, _random_device(rng, persons.devices[person]), device[going_on])
        in_period = following_at < calendar.end_ms
        previous, person, state = previous[in_period], person[in_period], following[in_period]
        at, device, session_start = following_at[in_period], device[in_period], new_session[in_period]
    return steps, first_signed_in


def _moments(rng: np.random.Generator, steps: list[Step], calendar: Calendar) -> Moments:
    moments = Moments(*(np.concatenate(column) for column in zip(*steps)))
    jitter = (IS_WEB[moments.touchpoint] & (rng.random(moments.at_ms.size) < MILLISECOND_SHARE)
              & (moments.at_ms < calendar.end_ms - 1000))
    moments.at_ms += np.where(jitter, rng.integers(1, 1000, moments.at_ms.size), 0)
    return moments


def _transition_cdf() -> np.ndarray:
    """Cumulative next-touchpoint probabilities by (intent, touchpoint); the last column is the end."""
    weights = np.zeros((len(INTENT_SHARES), END, END + 1))
    for key, targets in TRANSITIONS.items():
        for target, weight in targets.items():
            column = END if target == "end" else STATE[target]
            for intent in range(len(INTENT_SHARES)):
                factor = INTENT_END_FACTOR[intent] if target == "end" else (
                    INTENT_PROGRESS_FACTOR[intent] if target in PROGRESS else 1.0)
                weights[intent, STATE[key], column] = weight * factor
    cdf = np.cumsum(weights, axis=2) / weights.sum(axis=2, keepdims=True)
    cdf[..., -1] = 1.0
    return cdf


def _gap_kinds() -> np.ndarray:
    kinds = np.where(np.array([t.source == CLICKSTREAM for t in TOUCHPOINTS]), GAP_SESSION, GAP_BUSINESS_DAYS)
    matrix = np.tile(kinds, (END + 1, 1))
    matrix = np.hstack([matrix, np.zeros((END + 1, 1), dtype=matrix.dtype)])
    for index, touchpoint in enumerate(TOUCHPOINTS):
        if touchpoint.source == CRM:  # from the CRM back to the web is always a new session
            matrix[index, :END] = np.where(kinds == GAP_SESSION, GAP_NEW_SESSION, kinds)
    matrix[:, STATE["login"]] = GAP_NEW_SESSION  # a login starts a session
    for kind, pairs in GAP_OVERRIDES.items():
        for source_key, target_key in pairs:
            matrix[STATE[source_key], STATE[target_key]] = kind
    return matrix


IS_WEB = np.array([t.source == CLICKSTREAM for t in TOUCHPOINTS] + [False])
SIGNS_IN = np.array([t.signs_in for t in TOUCHPOINTS] + [False])
TRANSITION_CDF = _transition_cdf()
GAP_KIND = _gap_kinds()


def _next_touchpoint(rng: np.random.Generator, intent: np.ndarray, state: np.ndarray) -> np.ndarray:
    cdf = TRANSITION_CDF[intent, state]
    return np.minimum((rng.random(state.size)[:, None] >= cdf).sum(axis=1), END)


def _advance(rng: np.random.Generator, state: np.ndarray, following: np.ndarray,
             at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """When each next touchpoint happens, and whether it opens a new web session."""
    kind = GAP_KIND[state, following]
    leaves = (kind == GAP_SESSION) & (rng.random(state.size) >= STAY_IN_SESSION)
    kind[leaves] = GAP_NEW_SESSION
    following_at = np.empty_like(at)
    for gap, later in GAPS.items():
        rows = np.flatnonzero(kind == gap)
        following_at[rows] = later(rng, at[rows])
    opens_session = IS_WEB[following] & ((kind == GAP_NEW_SESSION) | ~IS_WEB[state])
    return following_at, opens_session


def in_session(rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
    """The next page of the same web session: seconds to half an hour later (the web shop's too)."""
    return at + np.clip(rng.lognormal(math.log(45), 0.9, at.size), 3, 1800).astype(np.int64) * 1000


def _instantly(rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
    return at + rng.integers(5, 180, at.size) * 1000


def _hours_later(rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
    return at + (np.clip(rng.lognormal(math.log(8), 1.0, at.size), 0.3, 120) * HOUR_MS).astype(np.int64)


def _days_later(rng: np.random.Generator, at: np.ndarray, median_days: float) -> np.ndarray:
    """Some days later; now and then (INACTIVE_SHARE) 31–60 days, so inactivity cuts the journey."""
    inactive = rng.random(at.size) < INACTIVE_SHARE
    days = np.where(inactive, rng.uniform(31, 60, at.size), rng.lognormal(math.log(median_days), 0.9, at.size))
    return at + (days * DAY_MS).astype(np.int64)


def next_web_session(rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
    """The start of a later web session, at a web hour of a day some days on (the web shop's too)."""
    return _next_slot(at, _days_later(rng, at, 1.5), time_of_day(rng, WEB_HOURS, at.size))


def _next_business_slot(rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
    return _next_slot(at, _days_later(rng, at, 2.0), time_of_day(rng, CRM_HOURS, at.size), business_days=True)


GAPS = {GAP_SESSION: in_session, GAP_INSTANT: _instantly, GAP_HOURS: _hours_later,
        GAP_NEW_SESSION: next_web_session, GAP_BUSINESS_DAYS: _next_business_slot}


def _next_slot(now: np.ndarray, around: np.ndarray, time_of_day: np.ndarray, *,
               business_days: bool = False) -> np.ndarray:
    """A time on the day of `around` at `time_of_day`, strictly after `now`."""
    day = around - around % DAY_MS
    if business_days:
        day = _business_day(day)
    slot = day + time_of_day
    later = slot <= now
    slot = np.where(later, slot + DAY_MS, slot)
    if business_days:
        slot = np.where(later, _business_day(slot - slot % DAY_MS) + slot % DAY_MS, slot)
    return slot


def _business_day(day_ms: np.ndarray) -> np.ndarray:
    """The same day, or the Monday after for a Saturday or Sunday (1970-01-01 was a Thursday)."""
    weekday = (day_ms // DAY_MS + 3) % 7
    return day_ms + np.select([weekday == 5, weekday == 6], [2 * DAY_MS, DAY_MS], 0)


def _random_device(rng: np.random.Generator, devices: np.ndarray) -> np.ndarray:
    return (rng.random(devices.size) * devices).astype(np.int64)


def _draw_keys(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    states = np.array([STATE[key] for key in weights])
    return states[draw(rng, np.array(list(weights.values())), size)]


def _shared_device_step(rng: np.random.Generator, first_signed_in: np.ndarray, persons: Persons,
                        calendar: Calendar) -> tuple[Step, int]:
    """A store tablet that many account holders sign in on (a bot tops it up when they are few).

    Its anonymous id links more than 50 user ids: the identity component SPEC section 2 keeps apart.
    Returns its logins (each followed by an account page) and how many bot-only user ids they use.
    """
    holders = np.flatnonzero(first_signed_in >= 0)
    users = int(rng.integers(55, 80))
    chosen = holders[rng.permutation(holders.size)[:users]]
    bot_users = users - chosen.size
    first_at = first_signed_in[chosen]
    later = first_at + rng.integers(HOUR_MS, 20 * DAY_MS, chosen.size)
    at = np.where(later < calendar.end_ms, later, np.minimum(first_at + 300_000, calendar.end_ms - 60_000))
    bot_at = np.sort(np.maximum(calendar.end_ms - rng.integers(DAY_MS, 7 * DAY_MS, bot_users), calendar.start_ms))
    login_at = np.concatenate([at, bot_at])
    user = np.repeat(np.concatenate([chosen, persons.count + np.arange(bot_users)]), 2)
    person = np.repeat(np.concatenate([chosen, np.full(bot_users, -1)]), 2)
    rows = 2 * login_at.size
    step = (person,
            np.tile([STATE["login"], STATE["account"]], login_at.size),
            np.repeat(login_at, 2) + np.tile([0, 40_000], login_at.size),
            np.full(rows, 3 * persons.count),
            np.tile([-1, STATE["login"]], login_at.size),
            np.ones(rows, dtype=bool),
            np.zeros(rows, dtype=bool),
            np.zeros(rows, dtype=bool),
            user)
    return step, bot_users


def _url_vocabulary() -> tuple[list[str | None], np.ndarray, np.ndarray]:
    """Every page URL: per (touchpoint path, campaign or none, full URL or path only).

    Returns the URLs, and per touchpoint the number of its first path and its number of paths.
    """
    urls: list[str | None] = []
    offsets, counts = [], []
    path_number = 0
    for touchpoint in TOUCHPOINTS:
        offsets.append(path_number)
        counts.append(len(touchpoint.paths))
        path_number += len(touchpoint.paths)
        for path in touchpoint.paths:
            for campaign in (None,) + CAMPAIGNS:
                query = "" if campaign is None else (
                    f"?utm_source={campaign[0]}&utm_medium={campaign[1]}&utm_campaign={campaign[2]}")
                urls.extend([touchpoint.host + path + query, path + query])
    return urls, np.array(offsets), np.array(counts)


URLS, PATH_OFFSET, PATH_COUNT = _url_vocabulary()
EXTRA_VALUES = [value for t in TOUCHPOINTS if t.extra for value in t.extra[1]]
EXTRA_KEYS = [t.extra[0] for t in TOUCHPOINTS if t.extra for _ in t.extra[1]]
EXTRA_COUNT = np.array([len(t.extra[1]) if t.extra else 0 for t in TOUCHPOINTS])
EXTRA_OFFSET = np.cumsum(np.concatenate([[0], EXTRA_COUNT]))[:-1]
CHANNEL_COUNT = np.array([len(t.channels) for t in TOUCHPOINTS])
CHANNEL_OFFSET = np.cumsum(np.concatenate([[0], CHANNEL_COUNT]))[:-1]
PRODUCTS = (None, "pro", "basic")
DEVICE_KINDS = (None, "desktop", "mobile", "tablet")
SEGMENT_SHARE_OF_MOBILE = 0.22  # about 10 % of all clickstream rows


def _properties_vocabulary() -> list[str | None]:
    """Every properties object, numbered by `_properties_code`."""
    texts = []
    for product in PRODUCTS:
        for device in DEVICE_KINDS:
            for plan in PRODUCTS:
                for extra in [None] + list(range(len(EXTRA_VALUES))):
                    properties = {}
                    if product:
                        properties["product"] = product
                    if plan:
                        properties["plan"] = plan
                    if device:
                        properties["device"] = device
                    if extra is not None:
                        properties[EXTRA_KEYS[extra]] = EXTRA_VALUES[extra]
                    texts.append(json.dumps(properties, separators=(",", ":")) if properties else None)
    return texts


def _properties_code(product: np.ndarray, device: np.ndarray, plan: np.ndarray, extra: np.ndarray) -> np.ndarray:
    """product and plan: 0 none, 1 pro, 2 basic; device: index in DEVICE_KINDS; extra: 0 none, else 1 + value."""
    return ((product * len(DEVICE_KINDS) + device) * len(PRODUCTS) + plan) * (len(EXTRA_VALUES) + 1) + extra


VOCABULARIES = {
    "page_url": vocabulary(URLS),
    "properties": vocabulary(_properties_vocabulary()),
    "event": vocabulary([t.name if t.source == CLICKSTREAM else None for t in TOUCHPOINTS]),
    "object": vocabulary([t.name.split()[0] if t.source == CRM else None for t in TOUCHPOINTS]),
    "action": vocabulary([t.name.split()[1] if t.source == CRM else None for t in TOUCHPOINTS]),
    "channel": vocabulary([channel for t in TOUCHPOINTS for channel in t.channels]),
    "referrer": vocabulary(list(REFERRERS) + [campaign[3] for campaign in CAMPAIGNS]),
    "utm_source": vocabulary([campaign[0] for campaign in CAMPAIGNS]),
    "utm_medium": vocabulary([campaign[1] for campaign in CAMPAIGNS]),
    "utm_campaign": vocabulary([campaign[2] for campaign in CAMPAIGNS]),
    "region": vocabulary(list(REGIONS)),
}


def _events(rng: np.random.Generator, seed: int, chunk: int, persons: Persons, moments: Moments,
            bot_users: int) -> dict[str, Events]:
    web = IS_WEB[moments.touchpoint]
    in_time_order = np.argsort(moments.at_ms, kind="stable")
    real = moments.person >= 0  # bot logins belong to no person
    person = np.where(real, moments.person, 0)
    carries_product = np.array([t.carries_product for t in TOUCHPOINTS])[moments.touchpoint] & real
    extra_count = EXTRA_COUNT[moments.touchpoint]
    pick = (rng.random(moments.touchpoint.size) * extra_count).astype(np.int64)
    mobile = np.concatenate([persons.mobile.ravel(), [False]])
    chunk_columns = {
        "person": person,
        "product": np.where(carries_product, np.where(persons.pro[person], 1, 2), 0),
        "plan": np.where(moments.customer & real, np.where(persons.pro[person], 1, 2), 0),
        "extra": np.where(extra_count > 0, 1 + EXTRA_OFFSET[moments.touchpoint] + pick, 0),
        "device_kind": np.where(moments.device == 3 * persons.count, 3, np.where(mobile[moments.device], 2, 1)),
    }
    user_ids = pa.concat_arrays([numbered("u", 1_000_001 + persons.first + np.arange(persons.count)),
                                 numbered("u", 900_000_000 + chunk * 1000 + np.arange(bot_users))])
    return {
        CLICKSTREAM: _clickstream_events(rng, seed, chunk, persons, moments, in_time_order[web[in_time_order]],
                                         chunk_columns, user_ids),
        CRM: _crm_events(rng, seed, chunk, persons, moments, in_time_order[~web[in_time_order]], chunk_columns,
                         user_ids),
    }


def _clickstream_events(rng: np.random.Generator, seed: int, chunk: int, persons: Persons, moments: Moments,
                        rows: np.ndarray, chunk_columns: dict[str, np.ndarray], user_ids: pa.Array) -> Events:
    size = rows.size
    touchpoint = moments.touchpoint[rows]
    person = chunk_columns["person"][rows]
    signed_in = moments.signed_in[rows]
    device_kind = chunk_columns["device_kind"][rows]
    ad = touchpoint == STATE["ad_click"]
    newsletter = (touchpoint == STATE["blog"]) & (rng.random(size) < NEWSLETTER_BLOG_SHARE)
    # most ads a person clicks are for the product line they end up interested in
    ad_campaign = np.where(persons.pro[person] & (rng.random(size) < 0.8),
                           PRO_ADS[rng.integers(0, PRO_ADS.size, size)],
                           BASIC_ADS[rng.integers(0, BASIC_ADS.size, size)])
    campaign = np.select([ad, newsletter], [ad_campaign, NEWSLETTERS[rng.integers(0, NEWSLETTERS.size, size)]], -1)
    popular_first = np.square(rng.random(size))
    path = PATH_OFFSET[touchpoint] + (popular_first * PATH_COUNT[touchpoint]).astype(np.int64)
    path_only = (rng.random(size) < PATH_ONLY_SHARE) & ~ad
    url = (path * (len(CAMPAIGNS) + 1) + campaign + 1) * 2 + path_only
    referrer = np.where(ad, len(REFERRERS) + campaign, rng.integers(0, len(REFERRERS), size))
    has_referrer = ad | (moments.session_start[rows] & (rng.random(size) < REFERRER_SHARE))
    plan = np.where(signed_in, chunk_columns["plan"][rows], 0)
    properties = _properties_code(chunk_columns["product"][rows], device_kind, plan, chunk_columns["extra"][rows])
    vocabularies = dict(VOCABULARIES, user_id=user_ids,
                        anonymous_id=hex_ids("anon-", id_key(seed, chunk, 0, np.arange(3 * persons.count + 1))))
    return Events(
        source=CLICKSTREAM,
        event_key=id_key(seed, chunk, 1, rows),
        has_event_id=np.ones(size, dtype=bool),
        at_ms=moments.at_ms[rows],
        has_at=np.ones(size, dtype=bool),
        codes={
            "anonymous_id": moments.device[rows],
            "user_id": np.where(signed_in, moments.user[rows], -1),
            "event": touchpoint,
            "page_url": np.where(PATH_COUNT[touchpoint] > 0, url, -1),
            "referrer": np.where(has_referrer, referrer, -1),
            "utm_source": campaign,
            "utm_medium": campaign,
            "utm_campaign": campaign,
            "properties": properties,
        },
        vocabularies=vocabularies,
        numbers={},
        segment=(device_kind == 2) & (rng.random(size) < SEGMENT_SHARE_OF_MOBILE),
    )


def _crm_events(rng: np.random.Generator, seed: int, chunk: int, persons: Persons, moments: Moments,
                rows: np.ndarray, chunk_columns: dict[str, np.ndarray], user_ids: pa.Array) -> Events:
    size = rows.size
    touchpoint = moments.touchpoint[rows]
    person = chunk_columns["person"][rows]
    marketing = np.isin(touchpoint, [STATE["lead"], STATE["email"]])
    # the marketing tool knows the email only; the CRM record (customer id) links it to the rest
    has_customer_id = ~(marketing & (rng.random(size) < 0.5))
    has_email = ~has_customer_id | (rng.random(size) < 0.6)
    has_user_id = moments.signed_in[rows] & (rng.random(size) < 0.7)
    channel_pick = (rng.random(size) * CHANNEL_COUNT[touchpoint]).astype(np.int64)
    previous = moments.previous[rows]
    order_channel = np.select([np.isin(previous, [STATE["opportunity_won"], STATE["call"]]),
                               previous == STATE["visit"]], [1, 2], 0)  # sales, store, else web
    channel = CHANNEL_OFFSET[touchpoint] + np.where(touchpoint == STATE["order"], order_channel, channel_pick)
    with_amount = np.isin(touchpoint, [STATE[key] for key in
                                       ("opportunity_stage", "opportunity_won", "opportunity_lost", "order")])
    survey = touchpoint == STATE["survey"]
    extra = chunk_columns["extra"][rows]
    score = _survey_scores(rng, np.where(survey, extra - 1 - EXTRA_OFFSET[STATE["survey"]], 0))
    plan = np.where(marketing, 0, chunk_columns["plan"][rows])
    properties = _properties_code(chunk_columns["product"][rows], np.zeros(size, dtype=np.int64), plan, extra)
    email_variant = draw(rng, np.array([0.6, 0.2, 0.1, 0.1]), size)
    vocabularies = dict(VOCABULARIES, user_id=user_ids, email=_emails(rng, persons),
                        customer_id=numbered("", 7_000_001 + persons.first + np.arange(persons.count)))
    return Events(
        source=CRM,
        event_key=id_key(seed, chunk, 2, rows),
        has_event_id=np.ones(size, dtype=bool),
        at_ms=moments.at_ms[rows],
        has_at=np.ones(size, dtype=bool),
        codes={
            "customer_id": np.where(has_customer_id, person, -1),
            "user_id": np.where(has_user_id, moments.user[rows], -1),
            "email": np.where(has_email, email_variant * persons.count + person, -1),
            "object": touchpoint,
            "action": touchpoint,
            "channel": channel,
            "properties": properties,
            CRM_EXTRA_COLUMN: persons.region[person],
        },
        vocabularies=vocabularies,
        numbers={"amount": np.where(with_amount, persons.deal_size[person], np.nan),
                 "score": np.where(survey, score, np.nan)},
        segment=np.zeros(size, dtype=bool),
    )


def _survey_scores(rng: np.random.Generator, kind: np.ndarray) -> np.ndarray:
    """Scores by score kind (0 csat 1–5, 1 nps 0–10, 2 sentiment -1..1), mostly favourable."""
    size = kind.size
    csat = 1 + draw(rng, np.array([0.05, 0.08, 0.17, 0.35, 0.35]), size)
    nps = draw(rng, np.array([2, 1, 2, 3, 4, 8, 8, 12, 20, 20, 20]), size)
    sentiment = np.round(np.clip(rng.normal(0.35, 0.4, size), -1, 1), 2)
    score = np.choose(kind, [csat.astype(float), nps.astype(float), sentiment])
    # now and then a survey tool sends a score off its scale (SPEC section 5 ignores those)
    off_scale = rng.random(size) < 0.01
    return np.select([off_scale & (kind == 0), off_scale & (kind == 1)], [6.0, 11.0], score)


def _emails(rng: np.random.Generator, persons: Persons) -> pa.Array:
    """Each person's email four ways: as given, lower case, padded with spaces, upper case.

    Variant v of person p is at v * count + p.
    """
    def pick(values: tuple[str, ...]) -> pa.Array:
        return vocabulary(list(values)).take(pa.array(rng.integers(0, len(values), persons.count)))

    first, last, domain = pick(FIRST_NAMES), pick(LAST_NAMES), pick(EMAIL_DOMAINS)
    number = pa.array(persons.first + 1 + np.arange(persons.count)).cast(pa.string())
    email = pc.binary_join_element_wise(first, ".", last, ".", number, "@", domain, "")
    padded = pc.binary_join_element_wise("  ", email, " ", "")
    return pa.concat_arrays([email, pc.utf8_lower(email), padded, pc.utf8_upper(email)])

