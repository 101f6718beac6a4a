"""Rejected rows: which kinds a file can carry, which rows become them, and how each is made.

About 1 % of a file's rows, never more than 3 % of a file piece, spread over the kinds its format can
carry. A rejected row replaces the event it was made from (the event is lost, as in real exports); an
exact or conflicting duplicate is an extra row right after its original.
"""

from datetime import timedelta

import numpy as np

from journey_samples.events import CLICKSTREAM, CRM, EPOCH, Events

BAD_ROW_KINDS = ("missing_timestamp", "unparseable_timestamp", "missing_event_id", "no_identity",
                 "missing_event", "missing_object", "missing_action", "non_utf8", "malformed",
                 "exact_duplicate", "conflicting_duplicate", "far_future")
NOT_QUARANTINED = ("exact_duplicate",)
TEXT_ONLY_KINDS = ("unparseable_timestamp", "non_utf8", "malformed")
SOURCE_ONLY_KINDS = {CLICKSTREAM: ("missing_event",), CRM: ("missing_object", "missing_action")}
BAD_ROW_SHARE = 0.01
BAD_ROW_CAP = 0.03

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


def bad_row_kinds(source: str, file_kind: str) -> tuple[str, ...]:
    """The kinds of rejected rows a file of this source and kind ("jsonl", "csv", "parquet") can carry."""
    other_sources = {kind for name, kinds in SOURCE_ONLY_KINDS.items() if name != source for kind in kinds}
    return tuple(kind for kind in BAD_ROW_KINDS
                 if kind not in other_sources and not (file_kind == "parquet" and kind in TEXT_ONLY_KINDS))


def emptied_columns(kind: str | None, source: str) -> tuple[str, ...]:
    return IDENTITY_COLUMNS[source] if kind == "no_identity" else EMPTIED.get(kind, ())


def plan_bad_rows(rng: np.random.Generator, rows: int, eligible: np.ndarray,
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


def with_bad_rows(piece: Events, plan: dict[str, np.ndarray],
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

