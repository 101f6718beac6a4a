"""What both shapes share: the period and its exports, events as numbers, their ids and random draws."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

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
        columns = {"event_id": hex_ids(EVENT_ID_PREFIX[self.source], self.event_key, self.has_event_id),
                   "at_ms": pa.array(self.at_ms, pa.int64(), mask=~self.has_at)}
        for name, codes in self.codes.items():
            columns[name] = self.vocabularies[name].take(pa.array(codes, pa.int32(), mask=codes < 0))
        for name, values in self.numbers.items():
            columns[name] = pa.array(values, pa.float64(), mask=np.isnan(values))
        columns["segment"] = pa.array(self.segment, pa.bool_())
        return pa.table(columns)


def vocabulary(values: list) -> pa.Array:
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


def hex_ids(prefix: str, keys: np.ndarray, present: np.ndarray | None = None) -> pa.Array:
    """`prefix` + 16 hex digits of splitmix64(keys), built in numpy for millions of ids a second."""
    octets = _splitmix64(keys.astype(np.uint64)).astype(">u8").view(np.uint8).reshape(-1, 8)
    head = np.frombuffer(prefix.encode(), dtype=np.uint8)
    text = np.empty((keys.size, head.size + 16), dtype=np.uint8)
    text[:, :head.size] = head
    text[:, head.size:].view("<u2")[:] = HEX_PAIRS[octets]
    ids = text.view(f"S{head.size + 16}").ravel()
    return pa.array(ids, mask=None if present is None else ~present).cast(pa.string())


def numbered(prefix: str, numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(prefix, pa.array(numbers, pa.int64()).cast(pa.string()), "")


def id_key(seed: int, chunk: int, kind: int, index: np.ndarray) -> np.ndarray:
    """Distinct per (chunk, kind, index) within one seed, so ids never collide across chunks."""
    base = (np.uint64(chunk) << np.uint64(36)) | (np.uint64(kind) << np.uint64(33))
    return (index.astype(np.uint64) | base) ^ np.uint64(seed * 0x2545F4914F6CDD1D % 2**64)


def draw(rng: np.random.Generator, weights: np.ndarray, size: int) -> np.ndarray:
    """`size` indexes into `weights`, each drawn with its weight's share."""
    cdf = np.cumsum(weights) / np.sum(weights)
    return np.minimum(np.searchsorted(cdf, rng.random(size), side="right"), len(weights) - 1)


def time_of_day(rng: np.random.Generator, hours: tuple[float, ...], size: int) -> np.ndarray:
    """Milliseconds into the day: an hour drawn by `hours`' weights, a whole second within it."""
    hour = draw(rng, np.array(hours), size)
    return hour * HOUR_MS + rng.integers(0, 3600, size) * 1000
