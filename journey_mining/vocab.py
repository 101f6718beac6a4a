"""What the loaded events hold, so an analyst can write a journey definition from what is there.

`vocabulary` counts, in SQL, the values a definition's `match` can name (event names, URL groups,
objects, object/action pairs, channels, property keys, score kinds); `starter_definition` turns the
frequent ones into a definition that mines as it is, for the analyst to rename and rearrange.
"""

import unicodedata
from dataclasses import dataclass

import duckdb
import yaml

from journey_mining import sql
from journey_mining.errors import JourneyError
from journey_mining.definition import MAX_NAME_CHARACTERS, PATH_JOIN, RESERVED_TOUCHPOINT_NAMES
from journey_mining.touchpoints import URL_PATH

KINDS = {  # kind -> heading, in the order they are printed
    "event": "event names",
    "url": "URL paths (by event)",
    "object": "objects",
    "action": "actions (by object)",
    "channel": "channels",
    "property_key": "property keys",
    "score_kind": "score kinds",
}
FREQUENT = 10  # values per list a starter definition proposes
# Events that are page or screen views: their touchpoints are told apart by URL; other events (a
# signup, an ad click) are one touchpoint each, wherever they happened.
PAGE_VIEW_WORDS = ("page", "screen")


@dataclass(frozen=True)
class Value:
    kind: str
    parent: str | None  # the event of a URL group, the object of an action
    value: str
    events: int


def vocabulary(con: duckdb.DuckDBPyConnection, source: str | None = None) -> dict[str, list[Value]]:
    """Every kind's values with their counts of events, by count descending then value."""
    found: dict[str, list[Value]] = {kind: [] for kind in KINDS}
    rows = sql.run_template(con, "exports/vocab_values", {"url_path": URL_PATH}, {"source": source})
    for kind, parent, value, events in rows:
        found[kind].append(Value(kind, parent, value, events))
    return found


def as_text(found: dict[str, list[Value]], limit: int = 30) -> str:
    """A heading per kind and aligned columns, at most `limit` values per kind."""
    lines = []
    for kind, heading in KINDS.items():
        values = found[kind]
        lines.append(f"{heading} ({len(values)})")
        shown = values[:limit]
        width = max([len(v.parent or "") for v in shown], default=0)
        count_width = max([len(str(v.events)) for v in shown], default=0)
        for v in shown:
            parent = f"{v.parent or '':<{width}}  " if width else ""
            lines.append(f"  {v.events:>{count_width}}  {parent}{v.value}")
        if len(values) > limit:
            lines.append(f"  … {len(values) - limit} more")
        if not values:
            lines.append("  (none)")
        lines.append("")
    return "\n".join(lines)


def as_json(found: dict[str, list[Value]]) -> dict:
    """The counts as a JSON object: kind -> [{value, events} and `event`/`object` where they apply]."""
    parent_key = {"url": "event", "action": "object"}
    return {kind: [{**({parent_key[kind]: v.parent} if kind in parent_key else {}), "value": v.value,
                    "events": v.events} for v in values]
            for kind, values in found.items()}


def starter_definition(found: dict[str, list[Value]], source: str | None = None) -> str:
    """A definition (YAML) with one touchpoint per frequent value, every one matching some event.

    Clickstream: a touchpoint per frequent event name; page-view events get one per frequent URL
    group instead, and one for their other pages when any are left. CRM: one per frequent
    object/action pair. The matches never overlap, so each touchpoint keeps the events counted for it.
    """
    proposals: list[tuple[str, dict, int]] = []  # (name, match, events)
    if source in (None, "clickstream"):
        urls = found["url"]
        for event in found["event"][:FREQUENT]:
            if not any(word in event.value.lower() for word in PAGE_VIEW_WORDS):
                proposals.append((event.value, {"source": "clickstream", "event": event.value}, event.events))
                continue
            # an empty path is no glob, and a path holding `*` would match other groups' pages too:
            # such pages go to the event's other-pages touchpoint
            groups = [g for g in urls if g.parent == event.value and g.value.strip()
                      and "*" not in g.value.removesuffix("/*")][:FREQUENT]
            for group in groups:
                proposals.append((f"{event.value} {group.value}",
                                  {"source": "clickstream", "event": event.value, "url": group.value},
                                  group.events))
            rest = event.events - sum(g.events for g in groups)
            if rest:
                proposals.append((f"{event.value} (other pages)" if groups else event.value,
                                  {"source": "clickstream", "event": event.value}, rest))
    if source in (None, "crm"):
        for pair in found["action"][:FREQUENT]:
            proposals.append((f"{pair.parent} {pair.value}",
                              {"source": "crm", "object": pair.parent, "action": pair.value}, pair.events))
    if not proposals:
        raise JourneyError("no events loaded" + (f" from {source}" if source else "")
                           + ": nothing to propose touchpoints from; run `journeys ingest` first")
    goal = _goal(proposals)
    names: set[str] = set()
    touchpoints = [{"name": _unique_name(name, names), "match": match} for name, match, _ in proposals]
    stages = [{"name": "Goal", "touchpoints": [{**touchpoints.pop(goal), "goal": True}]}]
    if touchpoints:
        stages.insert(0, {"name": "Stage 1", "touchpoints": touchpoints})
    body = yaml.safe_dump({"name": "starter", "stages": stages}, sort_keys=False, allow_unicode=True,
                          width=1000)
    return (
        "# A starter journey definition from the values the loaded events hold (`journeys vocab --yaml`).\n"
        "# Rename the definition, split `Stage 1` into your stages in journey order, drop what is noise.\n"
        "# Every touchpoint matches some event; an event takes the first touchpoint that matches it.\n"
        "# The goal is the CRM order/created touchpoint when there is one, else the least frequent\n"
        "# touchpoint without a `url` (a deep step is likelier a conversion): check it is your goal.\n"
        + body)


def _goal(proposals: list[tuple[str, dict, int]]) -> int:
    """The index of the proposed goal: order/created, else the least frequent touchpoint without a url
    (a url touchpoint moved last would lose its events to its event's other-pages touchpoint)."""
    for index, (_, match, _) in enumerate(proposals):
        if match.get("object") == "order" and match.get("action") == "created":
            return index
    candidates = [i for i, (_, match, _) in enumerate(proposals) if "url" not in match] or range(len(proposals))
    return min(candidates, key=lambda i: (proposals[i][2], -i))


def _unique_name(text: str, taken: set[str]) -> str:
    """A valid touchpoint name near `text`: hidden characters as `?`, no ` > `, within the length limit,
    not reserved, not taken (else numbered)."""
    name = "".join(c if c.isprintable() or unicodedata.category(c) == "Zs" else "?" for c in text)
    name = name.replace(PATH_JOIN.strip(), "›").strip()[:MAX_NAME_CHARACTERS - 8].strip() or "touchpoint"
    if name in RESERVED_TOUCHPOINT_NAMES:
        name = f"{name} touchpoint"
    candidate, number = name, 1
    while candidate in taken:
        number += 1
        candidate = f"{name} ({number})"
    taken.add(candidate)
    return candidate
