"""Synthetic event data of a small SaaS company, written as daily landing exports in SPEC section 1's formats.

The company sells two product lines, "pro" and "basic", to businesses and consumers. Each person
walks through its touchpoints (ads, blog, pricing, docs, trial, sales calls, opportunities, orders,
help pages, chats, tickets, surveys) as a Markov chain whose transitions depend on the person's
intent; the walk is vectorised over thousands of persons at once with numpy, so millions of persons
stream through in chunks without the whole data set ever being in memory.

Landing layout: the period is `days` days from `start`. The data arrives as `landing_days` daily
exports, each named by the day it is delivered and holding the events of the day before; the first
one also holds everything earlier. With the defaults the period is 2026-08-01..2026-10-02 and the
exports are dated 2026-10-01 (events up to 2026-09-30), 2026-10-02 and 2026-10-03:

    out/<export date>/clickstream/<file>
    out/<export date>/crm/<file>

Each export also repeats the events of the last two hours of the previous export exactly (its time
window overlaps, as real exports do: duplicates on ingest), and about 2 % of the events of an
export's last two days arrive late, only in the next export.

`file_format="mixed"` writes one file per source and export, named `export-<date>.<ext>`, cycling
through the formats so that three exports exercise all of them: clickstream as JSON Lines gzip
(with ~10 % Segment-style rows), as Parquet (native TIMESTAMP column) and as plain JSON Lines with
explicit nulls; CRM as CSV gzip (CRLF line ends), JSON Lines and plain CSV with a byte order mark.
`"parquet"`, `"jsonl"` and `"csv"` write one format only and one file per event day,
`events-<day>.<ext>`: the first export holds one file per day of the period before it, later exports
one file each. That is the scale path: files stay a manageable size and each chunk of persons
appends one Parquet row group per file. Parquet files hold exactly SPEC columns (so ingest can read
them without Python per row); the CRM's extra `region` column is in the text formats only.

Rejected rows (`bad_rows=True`) are sprinkled into every file: about 1 % of its rows, never more than
3 % of a file piece, spread over the kinds in `BAD_ROW_KINDS` that its format can carry. A rejected
row replaces the event it was made from (the event is lost, as in real exports); an exact or
conflicting duplicate is an extra row right after its original. Events repeated across exports are
never made into rejected rows, so `FileReport.duplicates` and `.quarantined` say exactly what ingest
(with the default time zone UTC) should count.

Identity: persons have 1–3 devices (`anon-<hex>`); those who sign up get a user id (`u<digits>`) that
clickstream rows carry once the device is signed in; CRM rows carry the customer id (digits, e.g.
`7000123`: text in CSV and Parquet, half the time a JSON number in JSON Lines), often the user id,
sometimes the email (`First.Last.<n>@Example.com`, case and surrounding spaces varying). A store
tablet that 55–80 account holders sign in on, topped up by a credential-stuffing bot when a chunk
has too few account holders, gives every chunk of persons one identity component of more than 50
identifiers.
"""

import csv
import gzip
import io
import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

FILE_FORMATS = ("mixed", "jsonl", "csv", "parquet")
# Persons walked at once: large enough for Parquet row groups of thousands of rows per event day,
# small enough to stay near 600 MB of memory whatever the number of persons.
PERSONS_PER_CHUNK = 100_000
MAX_STEPS = 300  # a cap on one person's walk; real walks end long before

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

CLICKSTREAM = "clickstream"
CRM = "crm"
CLICKSTREAM_COLUMNS = ("event_id", "anonymous_id", "user_id", "timestamp", "event", "page_url", "referrer",
                       "utm_source", "utm_medium", "utm_campaign", "properties")
CRM_COLUMNS = ("event_id", "customer_id", "user_id", "email", "timestamp", "object", "action", "channel",
               "amount", "score", "properties")
CRM_EXTRA_COLUMN = "region"  # not a SPEC column: ingest must fold it into properties

BAD_ROW_KINDS = ("missing_timestamp", "unparseable_timestamp", "missing_event_id", "no_identity",
                 "missing_event", "missing_object", "missing_action", "non_utf8", "malformed",
                 "exact_duplicate", "conflicting_duplicate", "far_future")
NOT_QUARANTINED = ("exact_duplicate",)
TEXT_ONLY_KINDS = ("unparseable_timestamp", "non_utf8", "malformed")
SOURCE_ONLY_KINDS = {CLICKSTREAM: ("missing_event",), CRM: ("missing_object", "missing_action")}
BAD_ROW_SHARE = 0.01
BAD_ROW_CAP = 0.03

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


@dataclass(frozen=True)
class FileStyle:
    """How one landing file is written."""

    kind: str  # "jsonl", "csv" or "parquet"
    gzip: bool = False
    segment_rows: bool = False  # rows from the mobile SDK keep Segment's form
    explicit_nulls: bool = False  # JSON: write null for a missing value instead of leaving the key out
    byte_order_mark: bool = False
    line_end: str = "\n"

    @property
    def suffix(self) -> str:
        return "." + self.kind + (".gz" if self.gzip else "")


MIXED_STYLES = {
    CLICKSTREAM: (FileStyle("jsonl", gzip=True, segment_rows=True), FileStyle("parquet"),
                  FileStyle("jsonl", explicit_nulls=True)),
    CRM: (FileStyle("csv", gzip=True, line_end="\r\n"), FileStyle("jsonl"), FileStyle("csv", byte_order_mark=True)),
}
SINGLE_STYLES = {
    "parquet": FileStyle("parquet"),
    "jsonl": FileStyle("jsonl", gzip=True, segment_rows=True),
    "csv": FileStyle("csv", gzip=True),
}


# --- The report ------------------------------------------------------------------------------------


@dataclass
class FileReport:
    """One written file: its rows as ingest counts them, and what was put into them."""

    path: str  # relative to the landing folder
    source: str
    file_format: str  # e.g. "jsonl.gz", "parquet"
    rows: int = 0  # rows ingest reads (blank lines are not rows)
    overlap_rows: int = 0  # events of the previous export repeated exactly
    late_rows: int = 0  # events that belong to an earlier export's window
    segment_rows: int = 0
    blank_lines: int = 0
    bad_rows: dict[str, int] = field(default_factory=dict)  # kind -> rows

    @property
    def duplicates(self) -> int:
        """Rows ingest should count as duplicates (a whole landing folder loaded in order)."""
        return self.overlap_rows + self.bad_rows.get("exact_duplicate", 0)

    @property
    def quarantined(self) -> int:
        """Rows ingest should quarantine."""
        return sum(count for kind, count in self.bad_rows.items() if kind not in NOT_QUARANTINED)

    @property
    def loaded(self) -> int:
        return self.rows - self.duplicates - self.quarantined


@dataclass
class GenerationReport:
    """What `generate` wrote."""

    out: Path
    persons: int
    seed: int
    file_format: str
    events: int  # distinct events written (before any was made into a rejected row)
    files: list[FileReport]
    seconds: float

    @property
    def rows(self) -> int:
        return sum(report.rows for report in self.files)

    def rows_per_file(self) -> dict[str, int]:
        return {report.path: report.rows for report in self.files}

    def bad_rows_per_file(self) -> dict[str, dict[str, int]]:
        return {report.path: dict(report.bad_rows) for report in self.files}

    def __str__(self) -> str:
        width = max([len("file")] + [len(report.path) for report in self.files])
        lines = [f"{self.persons} persons, {self.events} events, {self.rows} rows in {len(self.files)} files "
                 f"under {self.out} ({self.seconds:.1f} s)",
                 f"{'file':<{width}}  {'rows':>9}  {'overlap':>7}  {'late':>5}  {'bad':>5}  bad rows by kind"]
        for report in self.files:
            kinds = ", ".join(f"{kind} {count}" for kind, count in report.bad_rows.items() if count)
            lines.append(f"{report.path:<{width}}  {report.rows:>9}  {report.overlap_rows:>7}  {report.late_rows:>5}  "
                         f"{sum(report.bad_rows.values()):>5}  {kinds}")
        return "\n".join(lines)


# --- Generating -----------------------------------------------------------------------------------------


def generate(out: Path, persons: int, *, seed: int = 7, start: date = date(2026, 8, 1), days: int = 63,
             landing_days: int = 3, file_format: str = "mixed", bad_rows: bool = True,
             progress: Callable[[str], None] | None = None) -> GenerationReport:
    """Write the event data of `persons` persons into the landing folder `out`; deterministic for `seed`.

    generate(out: Path, persons: int, *, seed=7, start=date(2026, 8, 1), days=63, landing_days=3,
             file_format="mixed", bad_rows=True, progress=None) -> GenerationReport

    `file_format` is "mixed" (every input format, the bundled samples), "parquet" (the scale path),
    "jsonl" or "csv". `progress` receives one line per chunk of persons. Files are overwritten,
    nothing is deleted: write into an empty folder. The events depend only on `seed`, `persons`,
    `start` and `days`, not on the format: the same seed in two formats gives the same events.
    """
    if persons < 1:
        raise ValueError(f"persons must be at least 1, not {persons}")
    if file_format not in FILE_FORMATS:
        raise ValueError(f"unknown file_format {file_format!r}: expected one of {', '.join(FILE_FORMATS)}")
    if not 1 <= landing_days <= days:
        raise ValueError(f"landing_days must be between 1 and days ({days}), not {landing_days}")
    began = time.perf_counter()
    say = progress or (lambda message: None)
    out = Path(out)
    calendar = Calendar(start, days, landing_days)
    landing = Landing(out, calendar, file_format, bad_rows)
    events = 0
    try:
        for chunk, first in enumerate(range(0, persons, PERSONS_PER_CHUNK)):
            count = min(PERSONS_PER_CHUNK, persons - first)
            for chunk_events in company_events(seed, chunk, first, count, calendar).values():
                landing.deliver(chunk_events, seed, chunk)
                events += chunk_events.size
            say(f"persons {first + count}/{persons}: {events} events")
    finally:
        landing.close()
    unknown = landing.other_files()
    if unknown:
        say(f"note: {len(unknown)} other files in {out} were left as they were, e.g. {unknown[0]}")
    return GenerationReport(out, persons, seed, file_format, events, landing.reports(),
                            time.perf_counter() - began)


class Calendar:
    """The period and its exports; an export holds the events from the previous export's date to its own."""

    def __init__(self, start: date, days: int, landing_days: int):
        self.start = start
        self.days = days
        end = start + timedelta(days=days)
        self.exports = tuple(end - timedelta(days=landing_days - 1 - i) for i in range(landing_days))
        self.start_ms = _day_ms(start)
        self.end_ms = _day_ms(end)
        self.export_ends = np.array([_day_ms(export) for export in self.exports], dtype=np.int64)

    def export_of(self, at_ms: np.ndarray) -> np.ndarray:
        """Index of the export whose window holds each time."""
        return np.searchsorted(self.export_ends, at_ms, side="right")


def _day_ms(day: date) -> int:
    return (day - date(1970, 1, 1)).days * DAY_MS


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
    basic_price = np.array(BASIC_PLAN_PRICES)[_draw(rng, np.array([0.45, 0.3, 0.18, 0.07]), count)]
    pro_price = np.round(rng.lognormal(math.log(9000), 0.6, count), -1)
    with_vat = rng.random(count) < 0.35
    deal_size = np.where(pro, pro_price, basic_price)
    deal_size = np.where(with_vat, np.round(deal_size * 1.19, 2), deal_size)
    return Persons(
        first=first, count=count,
        intent=_draw(rng, np.array(INTENT_SHARES), count),
        pro=pro,
        devices=1 + _draw(rng, np.array(DEVICES_PER_PERSON), count),
        mobile=rng.random((count, 3)) < MOBILE_SHARE,
        region=_draw(rng, np.array(REGION_SHARES), count),
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
    at = np.where(IS_WEB[state], day + _time_of_day(rng, WEB_HOURS, n),
                  _business_day(day) + _time_of_day(rng, CRM_HOURS, n))
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


def _in_session(rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
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


def _next_web_session(rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
    return _next_slot(at, _days_later(rng, at, 1.5), _time_of_day(rng, WEB_HOURS, at.size))


def _next_business_slot(rng: np.random.Generator, at: np.ndarray) -> np.ndarray:
    return _next_slot(at, _days_later(rng, at, 2.0), _time_of_day(rng, CRM_HOURS, at.size), business_days=True)


GAPS = {GAP_SESSION: _in_session, GAP_INSTANT: _instantly, GAP_HOURS: _hours_later,
        GAP_NEW_SESSION: _next_web_session, GAP_BUSINESS_DAYS: _next_business_slot}


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


def _time_of_day(rng: np.random.Generator, hours: tuple[float, ...], size: int) -> np.ndarray:
    hour = _draw(rng, np.array(hours), size)
    return hour * HOUR_MS + rng.integers(0, 3600, size) * 1000


def _random_device(rng: np.random.Generator, devices: np.ndarray) -> np.ndarray:
    return (rng.random(devices.size) * devices).astype(np.int64)


def _draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    cdf = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(weights) - 1)


def _draw_keys(rng: np.random.Generator, weights: dict[str, float], size: int) -> np.ndarray:
    states = np.array([STATE[key] for key in weights])
    return states[_draw(rng, np.array(list(weights.values())), size)]


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


# --- From moments to rows ---------------------------------------------------------------------------


@dataclass
class Events:
    """Events of one source as numbers: text as codes into vocabularies (-1: missing), NaN: no number.

    Routing millions of rows to files and making rejected rows then moves integers; each text is
    looked up once, when its file piece is written.
    """

    source: str
    event_key: np.ndarray  # uint64, written out as the event id
    has_event_id: np.ndarray
    at_ms: np.ndarray
    has_at: np.ndarray
    codes: dict[str, np.ndarray]
    vocabularies: dict[str, pa.Array]
    numbers: dict[str, np.ndarray]
    segment: np.ndarray  # sent by the mobile SDK: kept in Segment's form where the file style has it

    @property
    def size(self) -> int:
        return self.at_ms.size

    def take(self, index: np.ndarray) -> "Events":
        return Events(self.source, self.event_key[index], self.has_event_id[index], self.at_ms[index],
                      self.has_at[index], {name: codes[index] for name, codes in self.codes.items()},
                      self.vocabularies, {name: values[index] for name, values in self.numbers.items()},
                      self.segment[index])

    def table(self) -> pa.Table:
        """The rows with their text looked up: SPEC columns (time as integer `at_ms`), `region`, `segment`."""
        columns = {"event_id": _hex_ids(EVENT_ID_PREFIX[self.source], self.event_key, self.has_event_id),
                   "at_ms": pa.array(self.at_ms, pa.int64(), mask=~self.has_at)}
        for name, codes in self.codes.items():
            columns[name] = self.vocabularies[name].take(pa.array(codes, pa.int32(), mask=codes < 0))
        for name, values in self.numbers.items():
            columns[name] = pa.array(values, pa.float64(), mask=np.isnan(values))
        columns["segment"] = pa.array(self.segment, pa.bool_())
        return pa.table(columns)


def _vocabulary(values: list) -> pa.Array:
    return pa.array(values, pa.string())


def _splitmix64(values: np.ndarray) -> np.ndarray:
    """A bijection on uint64 that looks random: distinct inputs give distinct ids."""
    with np.errstate(over="ignore"):
        z = values + np.uint64(0x9E3779B97F4A7C15)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        return z ^ (z >> np.uint64(31))


# Two hex digits per byte value, packed so that a little-endian uint16 view writes them in order.
HEX_PAIRS = np.array([ord(f"{b:02x}"[0]) | ord(f"{b:02x}"[1]) << 8 for b in range(256)], dtype="<u2")
EVENT_ID_PREFIX = {CLICKSTREAM: "evt-", CRM: "act-"}


def _hex_ids(prefix: str, keys: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """`prefix` + 16 hex digits of splitmix64(keys), built in numpy for millions of ids a second."""
    octets = _splitmix64(keys.astype(np.uint64)).astype(">u8").view(np.uint8).reshape(-1, 8)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    text = np.empty((keys.size, head.size + 16), dtype=np.uint8)
    text[:, :head.size] = head
    text[:, head.size:].view("<u2")[:] = HEX_PAIRS[octets]
    ids = text.view(f"S{head.size + 16}").ravel()
    return pa.array(ids, mask=None if present is None else ~present).cast(pa.string())


def _numbered(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pa.array(numbers, pa.int64()).cast(pa.string()), "")


def _id_key(seed: int, chunk: int, kind: int, index: np.ndarray) -> np.ndarray:
    """Distinct per (chunk, kind, index) within one seed, so ids never collide across chunks."""
    base = (np.uint64(chunk) << np.uint64(36)) | (np.uint64(kind) << np.uint64(33))
    return (index.astype(np.uint64) | base) ^ np.uint64(seed * 0x2545F4914F6CDD1D % 2**64)


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
    "page_url": _vocabulary(URLS),
    "properties": _vocabulary(_properties_vocabulary()),
    "event": _vocabulary([t.name if t.source == CLICKSTREAM else None for t in TOUCHPOINTS]),
    "object": _vocabulary([t.name.split()[0] if t.source == CRM else None for t in TOUCHPOINTS]),
    "action": _vocabulary([t.name.split()[1] if t.source == CRM else None for t in TOUCHPOINTS]),
    "channel": _vocabulary([channel for t in TOUCHPOINTS for channel in t.channels]),
    "referrer": _vocabulary(list(REFERRERS) + [campaign[3] for campaign in CAMPAIGNS]),
    "utm_source": _vocabulary([campaign[0] for campaign in CAMPAIGNS]),
    "utm_medium": _vocabulary([campaign[1] for campaign in CAMPAIGNS]),
    "utm_campaign": _vocabulary([campaign[2] for campaign in CAMPAIGNS]),
    "region": _vocabulary(list(REGIONS)),
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
    user_ids = pa.concat_arrays([_numbered("u", 1_000_001 + persons.first + np.arange(persons.count)),
                                 _numbered("u", 900_000_000 + chunk * 1000 + np.arange(bot_users))])
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
                        anonymous_id=_hex_ids("anon-", _id_key(seed, chunk, 0, np.arange(3 * persons.count + 1))))
    return Events(
        source=CLICKSTREAM,
        event_key=_id_key(seed, chunk, 1, rows),
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
    email_variant = _draw(rng, np.array([0.6, 0.2, 0.1, 0.1]), size)
    vocabularies = dict(VOCABULARIES, user_id=user_ids, email=_emails(rng, persons),
                        customer_id=_numbered("", 7_000_001 + persons.first + np.arange(persons.count)))
    return Events(
        source=CRM,
        event_key=_id_key(seed, chunk, 2, rows),
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
    csat = 1 + _draw(rng, np.array([0.05, 0.08, 0.17, 0.35, 0.35]), size)
    nps = _draw(rng, np.array([2, 1, 2, 3, 4, 8, 8, 12, 20, 20, 20]), size)
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
        return _vocabulary(list(values)).take(pa.array(rng.integers(0, len(values), persons.count)))

    first, last, domain = pick(FIRST_NAMES), pick(LAST_NAMES), pick(EMAIL_DOMAINS)
    number = pa.array(persons.first + 1 + np.arange(persons.count)).cast(pa.string())
    email = pc.binary_join_element_wise(first, ".", last, ".", number, "@", domain, "")
    padded = pc.binary_join_element_wise("  ", email, " ", "")
    return pa.concat_arrays([email, pc.utf8_lower(email), padded, pc.utf8_upper(email)])


# --- Landing: which file each row goes to ---------------------------------------------------------

OVERLAP_MS = 2 * HOUR_MS  # each export repeats the last two hours of the previous one
LATE_WINDOW_MS = 2 * DAY_MS
LATE_SHARE = 0.02
SOURCE_NUMBER = {CLICKSTREAM: 1, CRM: 2}


class Landing:
    """The landing folder being written: where each row goes, the open files and what they hold."""

    def __init__(self, out: Path, calendar: Calendar, file_format: str, bad_rows: bool):
        self.out = out
        self.calendar = calendar
        self.file_format = file_format
        self.bad_rows = bad_rows
        self.sinks: dict[Path, Sink] = {}

    def deliver(self, events: Events, seed: int, chunk: int) -> None:
        """Append one chunk's events of one source to the files of their exports."""
        source_number = SOURCE_NUMBER[events.source]
        rng = np.random.default_rng([seed, chunk, source_number])
        rows, export, file_day, late, overlap, eligible = self._routes(rng, events.at_ms, events.segment)
        # events come in time order, so a stable partition by file (late rows last) keeps each file in
        # time order; the file keys are small integers, which numpy sorts by radix in linear time
        file_key = (file_day - file_day.min()) * 2 + late  # the day names the file
        order = np.argsort(file_key.astype(np.int16 if file_key.max() < 2**15 else np.int32), kind="stable")
        rows, export, file_day, late, overlap, eligible = (
            column[order] for column in (rows, export, file_day, late, overlap, eligible))
        if not self.bad_rows:
            eligible = np.zeros(rows.size, dtype=bool)
        starts = np.flatnonzero(np.diff(export * 1_000_000 + file_day, prepend=-1))
        for begin, end in zip(starts, list(starts[1:]) + [rows.size]):
            path, style = self._file(events.source, int(export[begin]), int(file_day[begin]))
            sink = self.sinks.get(path)
            if sink is None:
                sink = self.sinks[path] = open_sink(path, self.out, events.source, style)
            piece_rng = np.random.default_rng([seed, chunk, source_number, int(export[begin]), int(file_day[begin])])
            piece_random = random.Random(f"{seed}/{chunk}/{path.relative_to(self.out).as_posix()}")
            sink.write(events.take(rows[begin:end]), late[begin:end], overlap[begin:end], eligible[begin:end],
                       piece_rng, piece_random)

    def _routes(self, rng: np.random.Generator, at_ms: np.ndarray, segment: np.ndarray) -> tuple[np.ndarray, ...]:
        """Per delivered row: event row, export, file day, late, overlap copy, may become a rejected row."""
        size = at_ms.size
        last = len(self.calendar.exports) - 1
        export = self.calendar.export_of(at_ms)
        window_end = self.calendar.export_ends[export]
        late = (export < last) & (at_ms >= window_end - LATE_WINDOW_MS) & (rng.random(size) < LATE_SHARE)
        # Segment rows stay out of the overlap: another export writes them in the plain form, whose
        # normalised properties differ, and ingest would rightly call that a conflict.
        repeated = (export < last) & ~late & ~segment & (at_ms >= window_end - OVERLAP_MS)
        copies = np.flatnonzero(repeated)
        rows = np.concatenate([np.arange(size), copies])
        delivered = np.concatenate([export + late, export[copies] + 1])
        late = np.concatenate([late, np.zeros(copies.size, dtype=bool)])
        overlap = np.concatenate([np.zeros(size, dtype=bool), np.ones(copies.size, dtype=bool)])
        eligible = np.concatenate([~repeated & ~segment, np.zeros(copies.size, dtype=bool)])
        in_time_order = np.argsort(rows, kind="stable")  # each copy right after its event
        rows, delivered, late, overlap, eligible = (
            column[in_time_order] for column in (rows, delivered, late, overlap, eligible))
        if self.file_format == "mixed":
            file_day = self.calendar.export_ends[delivered] // DAY_MS
        else:
            file_day = np.where(delivered == 0, at_ms[rows] // DAY_MS,
                                self.calendar.export_ends[delivered] // DAY_MS - 1)
        return rows, delivered, file_day, late, overlap, eligible

    def _file(self, source: str, export: int, file_day: int) -> tuple[Path, FileStyle]:
        export_date = self.calendar.exports[export].isoformat()
        if self.file_format == "mixed":
            styles = MIXED_STYLES[source]
            style = styles[export % len(styles)]
            name = f"export-{export_date}{style.suffix}"
        else:
            style = SINGLE_STYLES[self.file_format]
            name = f"events-{date(1970, 1, 1) + timedelta(days=file_day)}{style.suffix}"
        return self.out / export_date / source / name, style

    def close(self) -> None:
        for sink in self.sinks.values():
            sink.close()

    def reports(self) -> list[FileReport]:
        return [self.sinks[path].report for path in sorted(self.sinks)]

    def other_files(self) -> list[str]:
        written = set(self.sinks)
        return sorted(str(path) for path in self.out.rglob("*") if path.is_file() and path not in written)


# --- Rejected rows ---------------------------------------------------------------------------------

EXTRA_ROW_KINDS = ("exact_duplicate", "conflicting_duplicate")
UNPARSEABLE_TIMESTAMPS = ("2026-02-30 10:00:00", "yesterday", "2026-09-31T08:00:00Z", "31/08/2026 14:05",
                          "2026-13-01T09:00:00Z", "n/a")
NON_UTF8_TEXTS = {CLICKSTREAM: ("\u00dcber uns", "Caf\u00e9 & co", "Pr\u00e9sentation"),
                  CRM: ("Z\u00fcrich", "\u00d6sterreich", "M\u00fcnchen")}
IDENTITY_COLUMNS = {CLICKSTREAM: ("anonymous_id", "user_id"), CRM: ("customer_id", "user_id", "email")}
# The columns a kind of rejected row leaves empty; text files write them as missing, "" or blanks.
EMPTIED = {"missing_timestamp": ("timestamp",), "missing_event_id": ("event_id",), "missing_event": ("event",),
           "missing_object": ("object",), "missing_action": ("action",)}


KIND_NAMES = (None,) + BAD_ROW_KINDS
KIND_CODE = {kind: code for code, kind in enumerate(KIND_NAMES) if kind}


def bad_row_kinds(source: str, style: FileStyle) -> tuple[str, ...]:
    """The kinds of rejected rows a file of this source and style can carry."""
    other_sources = {kind for name, kinds in SOURCE_ONLY_KINDS.items() if name != source for kind in kinds}
    return tuple(kind for kind in BAD_ROW_KINDS
                 if kind not in other_sources and not (style.kind == "parquet" and kind in TEXT_ONLY_KINDS))


def emptied_columns(kind: str | None, source: str) -> tuple[str, ...]:
    return IDENTITY_COLUMNS[source] if kind == "no_identity" else EMPTIED.get(kind, ())


def _plan_bad_rows(rng: np.random.Generator, rows: int, eligible: np.ndarray,
                   kinds: tuple[str, ...]) -> dict[str, np.ndarray]:
    """Positions (into the piece) of the rows each kind is made from; at most BAD_ROW_CAP of the rows."""
    candidates = np.flatnonzero(eligible)
    budget = min(candidates.size, int(rows * BAD_ROW_CAP))
    per_kind = max(1, round(rows * BAD_ROW_SHARE / len(kinds)))
    counts = dict.fromkeys(kinds, per_kind)
    if per_kind * len(kinds) > budget:  # a small piece: one each of a few kinds, taking turns
        counts = dict.fromkeys(kinds, 0)
        first = int(rng.integers(0, len(kinds)))
        for turn in range(budget):
            counts[kinds[(first + turn) % len(kinds)]] += 1
    chosen = rng.choice(candidates, size=sum(counts.values()), replace=False)
    plan, used = {}, 0
    for kind, count in counts.items():
        plan[kind] = chosen[used:used + count]
        used += count
    return plan


def _with_bad_rows(piece: Events, plan: dict[str, np.ndarray],
                   rng: np.random.Generator) -> tuple[Events, np.ndarray]:
    """The piece with rows turned into rejected rows and duplicates inserted right after their originals.

    Returns the rows and, per row, the code of the kind of rejected row it is (see KIND_NAMES; 0 for a
    good row). Malformed, non-UTF-8 and unparseable-timestamp rows only differ when written as text.
    """
    kinds = np.zeros(piece.size, dtype=np.int8)
    for kind, positions in plan.items():
        if kind not in EXTRA_ROW_KINDS:
            kinds[positions] = KIND_CODE[kind]
    originals = np.concatenate([plan.get(kind, np.array([], dtype=np.int64)) for kind in EXTRA_ROW_KINDS])
    extra_kinds = np.array([KIND_CODE[kind] for kind in EXTRA_ROW_KINDS for _ in plan.get(kind, ())], dtype=np.int8)
    by_position = np.argsort(originals, kind="stable")
    originals, extra_kinds = originals[by_position], extra_kinds[by_position]
    rows = piece.take(np.insert(np.arange(piece.size), originals + 1, originals))
    kinds = np.insert(kinds, originals + 1, extra_kinds)

    def where(kind: str) -> np.ndarray:
        return np.flatnonzero(kinds == KIND_CODE[kind]) if kind in plan else np.array([], dtype=np.int64)

    rows.has_at[where("missing_timestamp")] = False
    rows.has_event_id[where("missing_event_id")] = False
    for kind in ("no_identity", "missing_event", "missing_object", "missing_action"):
        for column in emptied_columns(kind, piece.source) if kind in plan else ():
            rows.codes[column][where(kind)] = -1
    far = where("far_future")
    rows.at_ms[far] = [_in_2099(at_ms) for at_ms in rows.at_ms[far]]
    # a conflict: the same event id sent again with a corrected amount, or another clock reading
    conflicts = where("conflicting_duplicate")
    amount = rows.numbers.get("amount", np.full(rows.size, np.nan))
    corrected = conflicts[~np.isnan(amount[conflicts])]
    amount[corrected] = np.round(amount[corrected] * 1.1, 2)
    reclocked = conflicts[np.isnan(amount[conflicts])]
    rows.at_ms[reclocked] += rng.integers(1, 90, reclocked.size) * 1000
    return rows, kinds


def _in_2099(at_ms: int) -> int:
    moment = EPOCH + timedelta(milliseconds=int(at_ms))
    return (moment.replace(year=2099, day=min(moment.day, 28)) - EPOCH) // timedelta(milliseconds=1)


# --- Writing files ---------------------------------------------------------------------------------

TIMESTAMP_FORMS = ("iso_z", "offset_colon", "offset_compact", "offset_hours", "naive", "epoch_number", "epoch_text")
TIMESTAMP_FORM_WEIGHTS = (35, 15, 10, 4, 12, 14, 8)
OFFSET_MINUTES = (120, 60, -300, 330, -240, 0)
SEGMENT_LIBRARY = {"name": "analytics-ios", "version": "4.1.8"}
PARQUET_SCHEMAS = {
    CLICKSTREAM: pa.schema([(name, pa.timestamp("us", tz="UTC") if name == "timestamp" else pa.string())
                            for name in CLICKSTREAM_COLUMNS]),
    CRM: pa.schema([(name, pa.timestamp("us", tz="UTC") if name == "timestamp" else
                     pa.float64() if name in ("amount", "score") else pa.string()) for name in CRM_COLUMNS]),
}


def open_sink(path: Path, out: Path, source: str, style: FileStyle) -> "Sink":
    path.parent.mkdir(parents=True, exist_ok=True)
    report = FileReport(path.relative_to(out).as_posix(), source, style.suffix.lstrip("."))
    if style.kind == "parquet":
        return ParquetSink(path, source, style, report)
    return TextSink(path, source, style, report)


class Sink:
    """One landing file being written, piece by piece."""

    def __init__(self, path: Path, source: str, style: FileStyle, report: FileReport):
        self.path = path
        self.source = source
        self.style = style
        self.report = report
        self.kinds = bad_row_kinds(source, style)

    def write(self, piece: Events, late: np.ndarray, overlap: np.ndarray, eligible: np.ndarray,
              rng: np.random.Generator, rnd: random.Random) -> None:
        plan = _plan_bad_rows(rng, piece.size, eligible, self.kinds) if eligible.any() else {}
        self.report.late_rows += int(late.sum())
        self.report.overlap_rows += int(overlap.sum())
        for kind, positions in plan.items():
            if positions.size:
                self.report.bad_rows[kind] = self.report.bad_rows.get(kind, 0) + positions.size
        rows, kinds = _with_bad_rows(piece, plan, rng) if plan else (piece, np.zeros(piece.size, dtype=np.int8))
        self.report.rows += rows.size
        self._write_rows(rows.table(), kinds, rnd)

    def _write_rows(self, rows: pa.Table, kinds: np.ndarray, rnd: random.Random) -> None:
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError


class ParquetSink(Sink):
    """Parquet with exactly SPEC columns and a native TIMESTAMP, one row group per piece."""

    def __init__(self, path: Path, source: str, style: FileStyle, report: FileReport):
        super().__init__(path, source, style, report)
        self.schema = PARQUET_SCHEMAS[source]
        # event ids are unique, so a dictionary would only cost time; statistics on the time column
        # alone let readers skip row groups by time without paying for them on every text column
        self.writer = pq.ParquetWriter(path, self.schema, compression="zstd",
                                       use_dictionary=[name for name in self.schema.names if name != "event_id"],
                                       write_statistics=["timestamp"])

    def _write_rows(self, rows: pa.Table, kinds: np.ndarray, rnd: random.Random) -> None:
        columns = {name: rows.column(name) for name in self.schema.names if name != "timestamp"}
        columns["timestamp"] = pc.multiply(rows.column("at_ms"), 1000).cast(self.schema.field("timestamp").type)
        self.writer.write_table(pa.table(columns).select(self.schema.names).cast(self.schema))

    def close(self) -> None:
        self.writer.close()


class TextSink(Sink):
    """JSON Lines or CSV, optionally gzip (mtime 0, so the bytes depend on the rows only)."""

    def __init__(self, path: Path, source: str, style: FileStyle, report: FileReport):
        super().__init__(path, source, style, report)
        self.raw = open(path, "wb")
        self.handle: BinaryIO = (gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0)
                                 if style.gzip else self.raw)
        self.columns = CLICKSTREAM_COLUMNS if source == CLICKSTREAM else CRM_COLUMNS + (CRM_EXTRA_COLUMN,)
        if style.kind == "csv":
            header = ("\ufeff" if style.byte_order_mark else "") + ",".join(self.columns) + style.line_end
            self.handle.write(header.encode())

    def _write_rows(self, rows: pa.Table, kinds: np.ndarray, rnd: random.Random) -> None:
        blank_before = set()
        if self.style.kind == "jsonl" and kinds.any():
            blank_before = {rnd.randrange(rows.num_rows + 1) for _ in range(1 + rows.num_rows // 1000)}
        lines: list[bytes] = []
        for number, (row, kind) in enumerate(zip(rows.to_pylist(), map(KIND_NAMES.__getitem__, kinds))):
            if number in blank_before:
                lines.append(rnd.choice((b"\n", b"   \n", b"\t\r\n")))
                self.report.blank_lines += 1
            if kind == "exact_duplicate":
                lines.append(lines[-1])  # its original was the row before
                continue
            if self.style.segment_rows and row["segment"]:
                self.report.segment_rows += 1
                lines.append((json.dumps(_segment_record(row)) + "\n").encode())
            elif self.style.kind == "jsonl":
                lines.append(self._json_line(row, kind, rnd))
            else:
                lines.append(self._csv_line(row, kind, rnd))
        if rows.num_rows in blank_before:
            lines.append(b"\n")
            self.report.blank_lines += 1
        self.handle.write(b"".join(lines))

    def _values(self, row: dict, kind: str | None, rnd: random.Random, *, numbers: bool) -> dict:
        """The row's value per column as written: timestamps in varied forms, emptied columns varied."""
        values = {}
        for column in self.columns:
            if column == "timestamp":
                values[column] = (rnd.choice(UNPARSEABLE_TIMESTAMPS) if kind == "unparseable_timestamp"
                                  else None if row["at_ms"] is None
                                  else _timestamp_text(row["at_ms"], rnd, numbers=numbers))
            else:
                values[column] = row[column]
        for column in emptied_columns(kind, self.source):
            values[column] = rnd.choice((None, "", "  "))
        return values

    def _json_line(self, row: dict, kind: str | None, rnd: random.Random) -> bytes:
        record = {}
        for column, value in self._values(row, kind, rnd, numbers=True).items():
            if column == "properties" and value:
                value = json.loads(value)
            elif column == "customer_id" and value and value.isdigit() and rnd.random() < 0.5:
                value = int(value)  # the same identifier as the text "7000123" in CSV
            if value is not None or self.style.explicit_nulls:
                record[column] = value
        if kind == "non_utf8":
            _add_latin1_text(record, self.source, rnd)
            return json.dumps(record, ensure_ascii=False).encode("latin-1") + b"\n"
        text = json.dumps(record)
        if kind == "malformed":
            text = _malformed_json(text, record, rnd)
        return (text + "\n").encode()

    def _csv_line(self, row: dict, kind: str | None, rnd: random.Random) -> bytes:
        values = self._values(row, kind, rnd, numbers=False)
        if values.get("amount") is not None:
            values["amount"] = f"{values['amount']:.2f}" if rnd.random() < 0.5 else _number_text(values["amount"])
        if values.get("score") is not None:
            values["score"] = _number_text(values["score"])
        encoding = "utf-8"
        if kind == "non_utf8":
            values["properties"] = json.loads(values["properties"] or "{}")
            _add_latin1_text(values, self.source, rnd)
            values["properties"] = json.dumps(values["properties"], ensure_ascii=False, separators=(",", ":"))
            encoding = "latin-1"
        fields = ["" if value is None else str(value) for value in values.values()]
        if kind == "malformed":
            # an unquoted comma added a field, or the record was cut short
            fields = fields + ["Paris"] if rnd.random() < 0.5 else fields[:rnd.randint(3, len(fields) - 2)]
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=self.style.line_end).writerow(fields)
        return buffer.getvalue().encode(encoding)

    def close(self) -> None:
        self.handle.close()
        self.raw.close()


def _segment_record(row: dict) -> dict:
    """A clickstream row as Segment's mobile SDK sends it: camelCase ids, context, type "page" or "track"."""
    page_view = row["event"] == "page_view"
    record = {"messageId": row["event_id"], "anonymousId": row["anonymous_id"], "userId": row["user_id"],
              "type": "page" if page_view else "track"}
    if not page_view:
        record["event"] = row["event"]
    at_ms = row["at_ms"]
    record["timestamp"] = f"{EPOCH + timedelta(milliseconds=at_ms):%Y-%m-%dT%H:%M:%S}.{at_ms % 1000:03d}Z"
    context: dict = {"library": SEGMENT_LIBRARY}
    if row["page_url"]:
        context["page"] = {"url": row["page_url"]}
        if row["referrer"]:
            context["page"]["referrer"] = row["referrer"]
    if row["utm_source"]:
        context["campaign"] = {"source": row["utm_source"], "medium": row["utm_medium"], "name": row["utm_campaign"]}
    record["context"] = context
    record["properties"] = json.loads(row["properties"]) if row["properties"] else {}
    return record


def _timestamp_text(at_ms: int, rnd: random.Random, *, numbers: bool) -> str | int:
    """One of the timestamp forms SPEC section 1 accepts, picked at random; always the same instant."""
    form = rnd.choices(TIMESTAMP_FORMS, TIMESTAMP_FORM_WEIGHTS)[0]
    if form == "epoch_number" and numbers:
        return at_ms
    if form in ("epoch_number", "epoch_text"):
        return str(at_ms)
    offset = 0
    if form in ("offset_colon", "offset_compact"):
        offset = rnd.choice(OFFSET_MINUTES)
    elif form == "offset_hours":
        offset = rnd.choice([minutes for minutes in OFFSET_MINUTES if minutes % 60 == 0])
    wall = EPOCH + timedelta(milliseconds=at_ms + offset * 60_000)
    separator = " " if form in ("offset_colon", "naive") and rnd.random() < 0.5 else "T"
    text = wall.strftime(f"%Y-%m-%d{separator}%H:%M:%S")
    if at_ms % 1000:
        text += f".{at_ms % 1000:03d}"
    sign = "-" if offset < 0 else "+"
    hours, minutes = divmod(abs(offset), 60)
    suffix = {"iso_z": "Z", "naive": "", "offset_colon": f"{sign}{hours:02d}:{minutes:02d}",
              "offset_compact": f"{sign}{hours:02d}{minutes:02d}", "offset_hours": f"{sign}{hours:02d}"}[form]
    return text + suffix


def _number_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(value)


def _add_latin1_text(values: dict, source: str, rnd: random.Random) -> None:
    """Put an accented text into the row; written in Latin-1, the line is not valid UTF-8."""
    text = rnd.choice(NON_UTF8_TEXTS[source])
    if source == CRM:
        values[CRM_EXTRA_COLUMN] = text
    else:
        values["properties"] = dict(values.get("properties") or {}, page_title=text)


def _malformed_json(text: str, record: dict, rnd: random.Random) -> str:
    """A line that is not a JSON object: cut short mid-row, or an array."""
    if rnd.random() < 0.25:
        return json.dumps(list(record.values()))
    return text[:rnd.randint(len(text) // 3, len(text) - 2)]
