"""Writing a landing folder: `generate` walks persons chunk by chunk and `Landing` routes each event
to its export and file, with the overlaps and late arrivals of real exports."""

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from journey_samples.company import company_events
from journey_samples.events import CLICKSTREAM, CRM, DAY_MS, HOUR_MS, Calendar, Events
from journey_samples.web_shop import shop_events
from journey_samples.writers import MIXED_STYLES, SINGLE_STYLES, FileReport, FileStyle, Sink, open_sink

FILE_FORMATS = ("mixed", "jsonl", "csv", "parquet")
# Each shape's events of one chunk of persons, by source: (seed, chunk, first person, persons, calendar)
SHAPES: dict[str, Callable[[int, int, int, int, Calendar], dict[str, Events]]] = {
    "default": company_events,
    "many-variants": shop_events,
}
# Persons walked at once: large enough for Parquet row groups of thousands of rows per event day,
# small enough to stay near 600 MB of memory whatever the number of persons.
PERSONS_PER_CHUNK = 100_000


@dataclass
class GenerationReport:
    """What `generate` wrote."""

    out: Path
    persons: int
    seed: int
    shape: str
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
             landing_days: int = 3, shape: str = "default", file_format: str = "mixed",
             bad_rows: bool = True, progress: Callable[[str], None] | None = None) -> GenerationReport:
    """Write the event data of `persons` persons into the landing folder `out`; deterministic for `seed`.

    generate(out: Path, persons: int, *, seed=7, start=date(2026, 8, 1), days=63, landing_days=3,
             shape="default", file_format="mixed", bad_rows=True, progress=None) -> GenerationReport

    `shape` is one of SHAPES: "default" (the company's clickstream and CRM) or "many-variants" (a web
    shop's clickstream only, for benchmarks). `file_format` is "mixed" (every input format, the bundled
    samples), "parquet" (the scale path), "jsonl" or "csv". `progress` receives one line per chunk of
    persons. Files are overwritten, nothing is deleted: write into an empty folder. The events depend
    only on `seed`, `persons`, `start`, `days` and `shape`, not on the format: the same seed in two
    formats gives the same events.
    """
    if persons < 1:
        raise ValueError(f"persons must be at least 1, not {persons}")
    if shape not in SHAPES:
        raise ValueError(f"unknown shape {shape!r}: expected one of {', '.join(SHAPES)}")
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
            for chunk_events in SHAPES[shape](seed, chunk, first, count, calendar).values():
                landing.deliver(chunk_events, seed, chunk)
                events += chunk_events.size
            say(f"persons {first + count}/{persons}: {events} events")
    finally:
        landing.close()
    unknown = landing.other_files()
    if unknown:
        say(f"note: {len(unknown)} other files in {out} were left as they were, e.g. {unknown[0]}")
    return GenerationReport(out, persons, seed, shape, file_format, events, landing.reports(),
                            time.perf_counter() - began)


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

