"""The many-variants shape: a busy web shop's clickstream only, with walks random enough for benchmarks.

Visitors wander through 16 touchpoints in five stages (arrive, browse, basket, pay, purchase). From
any touchpoint a visitor may do it again, move within its stage, move on to the next stage, skip
ahead or go back; each kind of move has a fixed chance, shared out over the touchpoints it leads to
by their popularity. A walk ends at an order or after the number of events drawn for the person.
That gives about 9 events per person and paths so varied that 10 million events (1.1 million
persons) hold in the order of 700,000 distinct ones, where the default shape's company has about
85,000. benchmarks/many_variants.yaml maps the 16 touchpoints.

Identity: every person browses on one device (`anon-<hex>`), a fifth on two. Returning customers
are signed in on their first device from the start; anyone may sign in along the way. Rows of a
signed-in device carry the person's user id (`u<digits>`), which links their devices.
"""

import json
import math
from dataclasses import dataclass

import numpy as np

from journey_samples.company import (MILLISECOND_SHARE, MOBILE_SHARE, REFERRER_SHARE, REFERRERS,
                                     SEGMENT_SHARE_OF_MOBILE, WEB_HOURS, in_session, next_web_session)
from journey_samples.events import (CLICKSTREAM, DAY_MS, Calendar, Events, draw, hex_ids, id_key, numbered,
                                    time_of_day, vocabulary)

SHOP = "https://shop.example.com"
MAX_STEPS = 120  # the longest walk (a few persons in ten thousand draw more events)


@dataclass(frozen=True)
class Touchpoint:
    """One kind of moment on the shop's website."""

    key: str
    event: str  # the clickstream event name
    paths: tuple[str, ...]  # the pages it happens on, most visited first
    stage: int
    popularity: float  # its weight among the touchpoints a move can lead to


PRODUCT_PATHS = tuple(f"/p/{item}" for item in (
    "trail-runner-2", "city-sneaker", "leather-tote", "rain-jacket", "wool-beanie", "canvas-backpack",
    "chelsea-boot", "linen-shirt", "down-vest", "silk-scarf", "travel-duffel", "merino-socks"))
TOUCHPOINTS = (
    Touchpoint("ad_click", "ad_click", ("/landing/summer-sale", "/landing/new-arrivals", "/landing/free-shipping"),
               0, 3),
    Touchpoint("home", "page_view", ("/",), 0, 4),
    Touchpoint("blog", "page_view", ("/blog/style-guide", "/blog/care-tips", "/blog/gift-ideas"), 0, 2),
    Touchpoint("search", "search", ("/search",), 0, 3),
    Touchpoint("category", "page_view", ("/c/shoes", "/c/bags", "/c/jackets", "/c/accessories", "/c/sale"), 1, 4),
    Touchpoint("product", "page_view", PRODUCT_PATHS, 1, 5),
    Touchpoint("reviews", "page_view", tuple(path.replace("/p/", "/reviews/") for path in PRODUCT_PATHS), 1, 2),
    Touchpoint("compare", "page_view", ("/compare",), 1, 1.5),
    Touchpoint("add_to_cart", "add_to_cart", PRODUCT_PATHS, 2, 3),
    Touchpoint("cart", "page_view", ("/cart",), 2, 3),
    Touchpoint("wishlist", "add_to_wishlist", PRODUCT_PATHS, 2, 1.5),
    Touchpoint("sign_in", "login", ("/account/login",), 2, 2),
    Touchpoint("checkout", "checkout_started", ("/checkout",), 3, 3),
    Touchpoint("shipping", "page_view", ("/checkout/shipping",), 3, 2.5),
    Touchpoint("payment", "page_view", ("/checkout/payment",), 3, 2.5),
    Touchpoint("order", "order_completed", ("/checkout/thank-you",), 4, 1),
)
STATE = {touchpoint.key: index for index, touchpoint in enumerate(TOUCHPOINTS)}
END = len(TOUCHPOINTS)
GOAL = STATE["order"]  # only the checkout stage leads to it, and the walk ends there

# The chance of each kind of move from a touchpoint (where the kind leads anywhere).
MOVES = {"again": 0.2, "same stage": 2.5, "next stage": 1, "skip ahead": 0.5, "back": 1.5}
# How many events a person's walk has at most (an order ends it sooner): lognormal, drawn per person.
# Walks of similar lengths, rather than the many one-page visits of a constant chance to leave, keep
# the paths varied: 1.1 million persons walk about 700,000 distinct ones.
PAGES_MEDIAN = 8.5
PAGES_SIGMA = 0.8
ENTRY = {"ad_click": 6, "home": 4, "blog": 3, "search": 2, "category": 2, "product": 3, "reviews": 0.5,
         "compare": 0.2, "cart": 0.3}
NEW_SESSION_SHARE = 0.2  # a move that comes in a later session
TWO_DEVICE_SHARE = 0.2
RETURNING_SHARE = 0.25  # returning customers: signed in on their first device from the start

# (utm_source, utm_medium, utm_campaign, the referrer an ad click arrives with)
CAMPAIGNS = (
    ("google", "cpc", "summer-sale", "https://www.google.com/"),
    ("facebook", "paid_social", "new-arrivals", "https://l.facebook.com/"),
    ("instagram", "paid_social", "free-shipping", "https://l.instagram.com/"),
    ("newsletter", "email", "weekly-picks", None),
)
DEVICE_KINDS = ("desktop", "mobile")


def _transition_cdf() -> np.ndarray:
    """Cumulative next-touchpoint probabilities per touchpoint; the last column is leaving (after an order)."""
    weights = np.zeros((END, END + 1))
    popularity = np.array([touchpoint.popularity for touchpoint in TOUCHPOINTS])
    stage = np.array([touchpoint.stage for touchpoint in TOUCHPOINTS])
    for index in range(END):
        if index == GOAL:
            weights[index, END] = 1
            continue
        others = np.arange(END) != index
        next_stage = stage == stage[index] + 1
        kinds = {"again": ~others, "same stage": others & (stage == stage[index]), "next stage": next_stage,
                 "skip ahead": (stage > stage[index] + 1) & (np.arange(END) != GOAL),
                 "back": stage < stage[index]}
        for kind, targets in kinds.items():
            if targets.any():
                weights[index, :END] += MOVES[kind] * np.where(targets, popularity, 0) / popularity[targets].sum()
    cdf = np.cumsum(weights, axis=1) / weights.sum(axis=1, keepdims=True)
    cdf[:, -1] = 1.0
    return cdf


TRANSITION_CDF = _transition_cdf()
SIGNS_IN = np.array([touchpoint.key == "sign_in" for touchpoint in TOUCHPOINTS])
PATH_COUNT = np.array([len(touchpoint.paths) for touchpoint in TOUCHPOINTS])
PATH_OFFSET = np.cumsum(np.concatenate([[0], PATH_COUNT]))[:-1]
URLS = [SHOP + path + ("" if campaign is None else
                       f"?utm_source={campaign[0]}&utm_medium={campaign[1]}&utm_campaign={campaign[2]}")
        for touchpoint in TOUCHPOINTS for path in touchpoint.paths for campaign in (None,) + CAMPAIGNS]
VOCABULARIES = {
    "event": vocabulary([touchpoint.event for touchpoint in TOUCHPOINTS]),
    "page_url": vocabulary(URLS),
    "referrer": vocabulary(list(REFERRERS) + [campaign[3] for campaign in CAMPAIGNS]),
    "utm_source": vocabulary([campaign[0] for campaign in CAMPAIGNS]),
    "utm_medium": vocabulary([campaign[1] for campaign in CAMPAIGNS]),
    "utm_campaign": vocabulary([campaign[2] for campaign in CAMPAIGNS]),
    "properties": vocabulary([json.dumps({"device": kind}, separators=(",", ":")) for kind in DEVICE_KINDS]),
}


def shop_events(seed: int, chunk: int, first: int, count: int, calendar: Calendar) -> dict[str, Events]:
    """The clickstream events of one chunk of persons (no CRM)."""
    rng = np.random.default_rng([seed, chunk])
    devices = 1 + (rng.random(count) < TWO_DEVICE_SHARE)
    mobile = rng.random((count, 2)) < MOBILE_SHARE
    returning = rng.random(count) < RETURNING_SHARE
    person, touchpoint, at_ms, device, session_start = _walk(rng, devices, calendar)
    size = at_ms.size
    at_ms += np.where((rng.random(size) < MILLISECOND_SHARE) & (at_ms < calendar.end_ms - 1000),
                      rng.integers(1, 1000, size), 0)
    rows = np.argsort(at_ms, kind="stable")  # landing files are written in time order
    person, touchpoint, at_ms, device, session_start = (
        column[rows] for column in (person, touchpoint, at_ms, device, session_start))
    # a device is signed in from its first sign-in on (that row included), a returning customer's first
    # device throughout
    device_key = person * 2 + device
    first_sign_in = np.full(2 * count, np.iinfo(np.int64).max)
    np.minimum.at(first_sign_in, device_key[SIGNS_IN[touchpoint]], at_ms[SIGNS_IN[touchpoint]])
    signed = (returning[person] & (device == 0)) | (at_ms >= first_sign_in[device_key])
    ad = touchpoint == STATE["ad_click"]
    campaign = np.where(ad, rng.integers(0, len(CAMPAIGNS), size), -1)
    path = PATH_OFFSET[touchpoint] + (np.square(rng.random(size)) * PATH_COUNT[touchpoint]).astype(np.int64)
    # an ad click arrives from its campaign (a newsletter's from no page); a session's first page now and then
    # from a search engine or a social site
    referrer = np.where(ad, len(REFERRERS) + campaign, rng.integers(0, len(REFERRERS), size))
    has_referrer = ad | (session_start & (rng.random(size) < REFERRER_SHARE))
    is_mobile = mobile[person, device]
    vocabularies = dict(VOCABULARIES,
                        anonymous_id=hex_ids("anon-", id_key(seed, chunk, 0, np.arange(2 * count))),
                        user_id=numbered("u", 2_000_001 + first + np.arange(count)))
    events = Events(
        source=CLICKSTREAM,
        event_key=id_key(seed, chunk, 1, np.arange(size)),
        has_event_id=np.ones(size, dtype=bool),
        at_ms=at_ms,
        has_at=np.ones(size, dtype=bool),
        codes={
            "anonymous_id": device_key,
            "user_id": np.where(signed, person, -1),
            "event": touchpoint,
            "page_url": path * (len(CAMPAIGNS) + 1) + campaign + 1,
            "referrer": np.where(has_referrer, referrer, -1),
            "utm_source": campaign,
            "utm_medium": campaign,
            "utm_campaign": campaign,
            "properties": is_mobile.astype(np.int64),
        },
        vocabularies=vocabularies,
        numbers={},
        segment=is_mobile & (rng.random(size) < SEGMENT_SHARE_OF_MOBILE),
    )
    return {CLICKSTREAM: events}


def _walk(rng: np.random.Generator, devices: np.ndarray, calendar: Calendar) -> tuple[np.ndarray, ...]:
    """Walk every person of the chunk at once until each walk has its events, reaches an order or passes the
    period's end.

    Returns per step: person, touchpoint, time, device (0 or 1) and whether it opens a session.
    """
    count = devices.size
    pages = np.clip(np.round(rng.lognormal(math.log(PAGES_MEDIAN), PAGES_SIGMA, count)), 1, MAX_STEPS)
    person = np.arange(count)
    state = np.array([STATE[key] for key in ENTRY])[draw(rng, np.array(list(ENTRY.values())), count)]
    at = calendar.start_ms + rng.integers(0, calendar.days, count) * DAY_MS + time_of_day(rng, WEB_HOURS, count)
    device = np.zeros(count, dtype=np.int64)
    session_start = np.ones(count, dtype=bool)
    steps = []
    for step in range(MAX_STEPS):
        keep = at < calendar.end_ms
        person, state, at, device, session_start = (
            column[keep] for column in (person, state, at, device, session_start))
        if not person.size:
            break
        steps.append((person, state, at, device, session_start))
        following = np.minimum((rng.random(person.size)[:, None] >= TRANSITION_CDF[state]).sum(axis=1), END)
        going_on = (following != END) & (step + 1 < pages[person])
        person, state, at, device = person[going_on], following[going_on], at[going_on], device[going_on]
        session_start = rng.random(person.size) < NEW_SESSION_SHARE
        at = np.where(session_start, next_web_session(rng, at), in_session(rng, at))
        device = np.where(session_start, (rng.random(person.size) * devices[person]).astype(np.int64), device)
    return tuple(np.concatenate(column) for column in zip(*steps))
