"""Tests of the sample-data generator, checked with a small reader of its own (not the ingest code)."""

import ast
import csv
import fnmatch
import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import networkx as nx
import pyarrow.parquet as pq
import pytest
import yaml

from journey_mining import cli, definition
from journey_samples import BAD_ROW_KINDS, GenerationReport, generate

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "data_samples"
IDENTIFIERS = ("anonymous_id", "user_id", "customer_id", "email")
QUARANTINED = set(BAD_ROW_KINDS) - {"exact_duplicate"}
ISO = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(\.\d+)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$")


# --- An independent reader of the generated files ----------------------------------------------------


@dataclass
class Row:
    raw: bytes | None  # the line (text formats)
    record: dict | None  # the row with Segment keys mapped to SPEC columns; None when unreadable
    problem: str | None  # "non_utf8" or "malformed" when the row cannot be read


def read_file(path: Path) -> tuple[list[Row], int]:
    """The rows of one landing file, and its number of blank lines."""
    if path.suffix == ".parquet":
        records = pq.read_table(path).to_pylist()
        for record in records:
            record["properties"] = json.loads(record["properties"]) if record["properties"] else None
        return [Row(None, record, None) for record in records], 0
    data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
    lines = data.removeprefix(b"\xef\xbb\xbf").splitlines()
    if ".csv" in path.suffixes:
        return read_csv(lines), 0
    blank = sum(1 for line in lines if not line.strip())
    return [read_json_line(line) for line in lines if line.strip()], blank


def read_json_line(line: bytes) -> Row:
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        return Row(line, None, "non_utf8")
    try:
        record = json.loads(text)
    except ValueError:
        return Row(line, None, "malformed")
    if not isinstance(record, dict):
        return Row(line, None, "malformed")
    return Row(line, from_segment(record), None)


def from_segment(record: dict) -> dict:
    if "messageId" not in record:
        return record
    context = record.get("context", {})
    campaign = context.get("campaign", {})
    return {"event_id": record["messageId"], "anonymous_id": record.get("anonymousId"),
            "user_id": record.get("userId"), "timestamp": record["timestamp"],
            "event": "page_view" if record["type"] == "page" else record.get("event"),
            "page_url": context.get("page", {}).get("url"), "utm_source": campaign.get("source"),
            "utm_medium": campaign.get("medium"), "utm_campaign": campaign.get("name"),
            "properties": record.get("properties"), "segment": True}


def read_csv(lines: list[bytes]) -> list[Row]:
    header = next(csv.reader([lines[0].decode()]))
    rows = []
    for line in lines[1:]:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            rows.append(Row(line, None, "non_utf8"))
            continue
        fields = next(csv.reader([text]))
        if len(fields) != len(header):
            rows.append(Row(line, None, "malformed"))
            continue
        record = {name: value for name, value in zip(header, fields)}
        if record.get("properties"):
            record["properties"] = json.loads(record["properties"])
        rows.append(Row(line, record, None))
    return rows


def missing(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def moment(value) -> datetime | None:
    """The instant of a timestamp value as SPEC section 1 reads it (naive means UTC); None when unparseable."""
    if isinstance(value, datetime):
        return value
    if isinstance(value, int) or str(value).isdigit():
        return datetime.fromtimestamp(int(value) / 1000, timezone.utc)
    parts = ISO.match(str(value))
    if not parts:
        return None
    day, clock, fraction, offset = parts.groups()
    try:
        local = datetime.fromisoformat(f"{day}T{clock or '00:00'}{(fraction or '')[:7]}")
    except ValueError:
        return None
    if offset in (None, "Z"):
        return local.replace(tzinfo=timezone.utc)
    digits = offset.replace(":", "")
    minutes = int(digits[1:3]) * 60 + int(digits[3:5] or 0)
    return local.replace(tzinfo=timezone(timedelta(minutes=minutes if digits[0] == "+" else -minutes)))


def kind_of(row: Row, source: str) -> str | None:
    """The kind of rejected row, in the order ingest judges them; None for a row ingest would accept."""
    if row.problem:
        return row.problem
    record = row.record
    if missing(record.get("timestamp")):
        return "missing_timestamp"
    at = moment(record["timestamp"])
    if at is None:
        return "unparseable_timestamp"
    if missing(record.get("event_id")):
        return "missing_event_id"
    if all(missing(record.get(column)) for column in IDENTIFIERS):
        return "no_identity"
    required = ("event",) if source == "clickstream" else ("object", "action")
    for column in required:
        if missing(record.get(column)):
            return f"missing_{column}"
    if at.year >= 2099:
        return "far_future"
    return None


def content(row: Row) -> object:
    return row.raw if row.raw is not None else row.record


def landing_files(landing: Path, source: str | None = None) -> list[Path]:
    return sorted(path for path in landing.rglob("*") if path.is_file()
                  and (source is None or path.parent.name == source))


def good_records(landing: Path, source: str | None = None) -> list[dict]:
    records = []
    for path in landing_files(landing, source):
        records += [row.record for row in read_file(path)[0] if kind_of(row, path.parent.name) is None]
    return records


# --- Fixtures -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def mixed(tmp_path_factory) -> tuple[Path, GenerationReport]:
    landing = tmp_path_factory.mktemp("mixed") / "landing"
    return landing, generate(landing, 400, seed=11)


@pytest.fixture(scope="module")
def sample_records() -> list[dict]:
    records = []
    for source in ("clickstream", "crm"):
        records += [dict(record, source=source) for record in good_records(SAMPLES / "landing", source)]
    return records


# --- Tests ------------------------------------------------------------------------------------------------


def test_the_same_seed_writes_the_same_bytes(tmp_path, mixed):
    landing, _ = mixed
    again = tmp_path / "again"
    generate(again, 400, seed=11)
    first = {path.relative_to(landing): path.read_bytes() for path in landing_files(landing)}
    second = {path.relative_to(again): path.read_bytes() for path in landing_files(again)}
    assert first == second
    other_seed = tmp_path / "other"
    generate(other_seed, 400, seed=12)
    assert (other_seed / "2026-10-03/crm/export-2026-10-03.csv").read_bytes() != first[
        Path("2026-10-03/crm/export-2026-10-03.csv")]


def test_the_bundled_samples_are_what_the_documented_command_writes(tmp_path):
    generate(tmp_path, 3000, seed=7)
    bundled = SAMPLES / "landing"
    assert [p.relative_to(tmp_path) for p in landing_files(tmp_path)] == [
        p.relative_to(bundled) for p in landing_files(bundled)]
    for path in landing_files(tmp_path):
        assert path.read_bytes() == (bundled / path.relative_to(tmp_path)).read_bytes(), path


def test_exports_are_the_last_days_of_the_period_and_hold_the_day_before(tmp_path):
    report = generate(tmp_path, 300, start=date(2026, 1, 1), days=10, landing_days=2, bad_rows=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["2026-01-10", "2026-01-11"]
    assert [f.path for f in report.files] == [
        "2026-01-10/clickstream/export-2026-01-10.jsonl.gz", "2026-01-10/crm/export-2026-01-10.csv.gz",
        "2026-01-11/clickstream/export-2026-01-11.parquet", "2026-01-11/crm/export-2026-01-11.jsonl"]
    first_export = datetime(2026, 1, 10, tzinfo=timezone.utc)
    for file in report.files:
        times = [moment(record["timestamp"]) for record in good_records(tmp_path / Path(file.path).parent)]
        assert len(times) == file.rows
        assert all(datetime(2026, 1, 1, tzinfo=timezone.utc) <= at < datetime(2026, 1, 11, tzinfo=timezone.utc)
                   for at in times)
        if file.path.startswith("2026-01-10"):
            assert all(at < first_export for at in times)
        else:  # the previous export's last two hours again, the day before the export, late arrivals
            earlier = [at < first_export for at in times]
            assert earlier == [True] * file.overlap_rows + [False] * (
                file.rows - file.overlap_rows - file.late_rows) + [True] * file.late_rows
            assert all(at >= first_export - timedelta(hours=2) for at in times[:file.overlap_rows])
            assert file.overlap_rows and file.late_rows


def test_mixed_mode_writes_every_input_format(mixed):
    landing, report = mixed
    assert {file.file_format for file in report.files} == {"jsonl.gz", "jsonl", "parquet", "csv.gz", "csv"}
    assert sorted(p.name for p in landing.iterdir()) == ["2026-10-01", "2026-10-02", "2026-10-03"]
    parquet = landing / "2026-10-02/clickstream/export-2026-10-02.parquet"
    assert str(pq.read_schema(parquet).field("timestamp").type) == "timestamp[us, tz=UTC]"
    for path in landing_files(landing, "crm"):
        if ".csv" in path.suffixes:
            text = (gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()).decode(
                "utf-8", errors="replace")
            assert text.lstrip("\ufeff").startswith("event_id,customer_id,user_id,email,timestamp,")
            assert text.splitlines()[0].endswith(",region")  # a column SPEC does not name
    timestamps = [record["timestamp"] for record in good_records(landing) if not isinstance(
        record["timestamp"], datetime)]
    texts = [value for value in timestamps if isinstance(value, str)]
    assert any(isinstance(value, int) for value in timestamps)  # epoch milliseconds as a JSON number
    assert any(value.isdigit() for value in texts)  # ... and as text
    for form in (r"T\d\d:\d\d:\d\dZ$", r" \d\d:\d\d:\d\d[+-]\d\d:\d\d$", r"\d[+-]\d{4}$", r"\d[+-]\d\d$",
                 r"^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d$", r"\.\d{3}"):
        assert any(re.search(form, value) for value in texts), form
    crm_json, _ = read_file(landing / "2026-10-02/crm/export-2026-10-02.jsonl")
    assert any(isinstance(row.record.get("customer_id"), int) for row in crm_json if row.record)


def test_about_a_tenth_of_the_gzip_clickstream_is_in_segment_form(mixed):
    landing, report = mixed
    path = landing / "2026-10-01/clickstream/export-2026-10-01.jsonl.gz"
    rows, _ = read_file(path)
    segment = [row.record for row in rows if row.record and row.record.get("segment")]
    assert 0.05 < len(segment) / len(rows) < 0.15
    assert len(segment) == report.files[0].segment_rows
    raw = [json.loads(row.raw) for row in rows if row.record and row.record.get("segment")]
    assert any(record["type"] == "page" and record["context"]["page"]["url"] for record in raw)


def test_rejected_rows_are_what_the_report_says(mixed):
    landing, report = mixed
    found_anywhere = Counter()
    for file in report.files:
        path = landing / file.path
        rows, blank_lines = read_file(path)
        kinds = Counter()
        first_of_id: dict[str, Row] = {}
        for row in rows:
            kind = kind_of(row, file.source)
            if kind is None:
                event_id = row.record["event_id"]
                original = first_of_id.setdefault(event_id, row)
                if original is not row:
                    kind = "exact_duplicate" if content(row) == content(original) else "conflicting_duplicate"
            if kind:
                kinds[kind] += 1
        assert kinds == Counter({kind: n for kind, n in file.bad_rows.items() if n}), file.path
        assert (len(rows), blank_lines) == (file.rows, file.blank_lines)
        assert file.quarantined == sum(n for kind, n in kinds.items() if kind in QUARANTINED)
        assert file.quarantined <= 0.05 * file.rows  # under ingest's default threshold
        found_anywhere += kinds
    assert set(found_anywhere) == set(BAD_ROW_KINDS)
    assert sum(found_anywhere.values()) < 0.02 * report.rows


def test_each_export_repeats_the_edge_of_the_previous_one(mixed):
    landing, report = mixed
    for source in ("clickstream", "crm"):
        seen: set[str] = set()
        for path in landing_files(landing, source):
            file = next(f for f in report.files if landing / f.path == path)
            ids = {record["event_id"] for record in good_records(path.parent)}
            assert len(ids & seen) == file.overlap_rows
            seen |= ids
    assert sum(file.overlap_rows for file in report.files) > 0


def test_no_bad_rows_when_asked(tmp_path):
    report = generate(tmp_path, 300, seed=3, bad_rows=False)
    assert all(not file.bad_rows for file in report.files)
    for file in report.files:
        rows, blank_lines = read_file(tmp_path / file.path)
        assert all(kind_of(row, file.source) is None for row in rows)
        assert blank_lines == 0


def test_single_format_modes_write_one_file_per_event_day(tmp_path):
    for file_format, suffix in (("parquet", ".parquet"), ("jsonl", ".jsonl.gz"), ("csv", ".csv.gz")):
        landing = tmp_path / file_format
        report = generate(landing, 300, days=20, file_format=file_format)
        names = [Path(file.path) for file in report.files]
        assert {name.name[len("events-2026-08-01"):] for name in names} == {suffix}
        first_export = [name for name in names if name.parts[0] == "2026-08-19"]
        assert len(first_export) == 2 * 18  # 18 event days, two sources
        assert {name.parts[0] for name in names} == {"2026-08-19", "2026-08-20", "2026-08-21"}
        if file_format == "parquet":
            for name in names:
                columns = set(pq.read_schema(landing / name).names)
                assert "region" not in columns and "segment" not in columns
            assert not any(set(f.bad_rows) & {"malformed", "non_utf8", "unparseable_timestamp"}
                           for f in report.files)


def test_a_shared_device_makes_an_oversize_identity_component(mixed):
    landing, _ = mixed
    graph = nx.Graph()
    for record in good_records(landing):
        nodes = [(column, str(record[column]).strip().lower() if column == "email" else str(record[column]))
                 for column in IDENTIFIERS if not missing(record.get(column))]
        graph.add_nodes_from(nodes)
        graph.add_edges_from(zip(nodes, nodes[1:]))
    sizes = sorted((len(component) for component in nx.connected_components(graph)), reverse=True)
    assert sizes[0] > 50
    assert sizes[1] < 50  # only the shared device is that large


def test_ten_to_twenty_events_per_person_and_most_never_order(mixed):
    landing, report = mixed
    assert 10 <= report.events / report.persons <= 20
    orders = [r for r in good_records(landing, "crm") if (r["object"], r["action"]) == ("order", "created")]
    customers = {str(r["customer_id"]) for r in orders if not missing(r.get("customer_id"))}
    assert 0 < len(customers) < 0.25 * report.persons


# --- The sample journey definitions ------------------------------------------------------------------


def matches(record: dict, match: dict) -> bool:
    """SPEC section 3's match: every key must match; a field the event lacks never matches."""
    for key, wanted in match.items():
        if key == "properties":
            properties = record.get("properties") or {}
            if any(str(properties.get(name)) != str(value) for name, value in wanted.items()):
                return False
        elif key == "url":
            url = record.get("page_url")
            if missing(url) or not fnmatch.fnmatchcase(urlsplit(url).path, wanted):
                return False
        elif record.get(key) not in (wanted if isinstance(wanted, list) else [wanted]):
            return False
    return True


@pytest.mark.parametrize("name", ["purchase", "service"])
def test_sample_definitions_name_touchpoints_the_sample_data_has(name, sample_records):
    definition = yaml.safe_load((SAMPLES / "definitions" / f"{name}.yaml").read_text())
    assert definition["name"] == name
    in_scope = [r for r in sample_records if matches(r, definition.get("scope", {}))]
    assert in_scope
    touchpoints = [tp for stage in definition["stages"] for tp in stage["touchpoints"]]
    names = [tp["name"] for tp in touchpoints]
    assert len(set(names)) == len(names)
    assert any(tp.get("goal") for tp in touchpoints)
    for touchpoint in touchpoints:
        assert any(matches(record, touchpoint["match"]) for record in in_scope), touchpoint["name"]
    for source, target in definition.get("allowed", []):
        assert {source, target} <= set(names)
    for funnel in definition.get("funnels", []):
        assert set(funnel["steps"]) <= set(names), funnel["name"]
        assert re.fullmatch(r"\d+[smhd]", funnel["window"])


def test_sample_definitions_use_every_funnel_order():
    orders = {funnel["order"] for name in ("purchase", "service")
              for funnel in yaml.safe_load((SAMPLES / "definitions" / f"{name}.yaml").read_text())["funnels"]}
    assert orders == {"sequential", "strict", "any"}


def test_the_generator_is_a_package_beside_the_library():
    """The library does not hold the generator, the generator uses nothing of the library, and only the
    command line imports the generator."""
    def imported(module: Path) -> set[str]:
        tree = ast.parse(module.read_text(encoding="utf-8"))
        return {name.split(".")[0] for node in ast.walk(tree)
                for name in ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                             else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])}

    assert not (ROOT / "journey_mining" / "generate.py").exists()
    assert all("journey_mining" not in imported(module) for module in (ROOT / "journey_samples").glob("*.py"))
    importers = [module.name for module in (ROOT / "journey_mining").glob("*.py")
                 if "journey_samples" in imported(module)]
    assert importers == ["cli.py"]


# --- The many-variants shape ----------------------------------------------------------------------

MANY_VARIANTS = ROOT / "benchmarks" / "many_variants.yaml"


@pytest.fixture(scope="module")
def web_shop(tmp_path_factory) -> Path:
    """2,000 persons of the many-variants shape, written by the command line (every input format)."""
    landing = tmp_path_factory.mktemp("web_shop") / "landing"
    assert cli.main(["generate", "--persons", "2000", "--out", str(landing), "--seed", "3",
                     "--shape", "many-variants"]) == 0
    return landing


def touchpoint_path(records: list[dict], touchpoints: list[dict]) -> tuple[str, ...]:
    """SPEC section 4's path of one device's records (already in time order): each record mapped to the
    first touchpoint it matches, consecutive repeats merged."""
    path: list[str] = []
    for record in records:
        name = next(tp["name"] for tp in touchpoints if matches(record, tp["match"]))
        if not path or path[-1] != name:
            path.append(name)
    return tuple(path)


def test_the_many_variants_shape_is_clickstream_only_at_about_nine_events_a_person(web_shop):
    files = landing_files(web_shop)
    assert files and {path.parent.name for path in files} == {"clickstream"}
    assert {path.parts[-3] for path in files} == {"2026-10-01", "2026-10-02", "2026-10-03"}
    events = {record["event_id"] for record in good_records(web_shop)}
    assert 8 <= len(events) / 2000 <= 10
    # hostile rows as in the default shape: every kind of unreadable or incomplete clickstream row, and
    # event ids that come again (duplicates, overlaps of the exports)
    rows = [row for path in files for row in read_file(path)[0]]
    assert {kind_of(row, "clickstream") for row in rows} - {None} == {
        "missing_timestamp", "unparseable_timestamp", "missing_event_id", "no_identity", "missing_event",
        "non_utf8", "malformed", "far_future"}
    ids = Counter(row.record["event_id"] for row in rows if row.record and not missing(row.record.get("event_id")))
    assert max(ids.values()) > 1


def test_the_many_variants_definition_maps_every_event_and_each_of_its_16_touchpoints_is_hit(web_shop):
    journey = definition.load(MANY_VARIANTS)  # what `journeys mine` validates first
    assert len(journey.touchpoints) == 16 and 4 <= len({tp.stage for tp in journey.touchpoints}) <= 5
    touchpoints = [tp for stage in yaml.safe_load(MANY_VARIANTS.read_text())["stages"] for tp in stage["touchpoints"]]
    records = [dict(record, source="clickstream") for record in good_records(web_shop)]
    hits = Counter(next((tp["name"] for tp in touchpoints if matches(record, tp["match"])), None)
                   for record in records)
    assert None not in hits  # no event is left unmapped
    assert set(hits) == {tp["name"] for tp in touchpoints}


def test_the_many_variants_paths_are_mostly_distinct(web_shop):
    """Paths per device, cut after the goal: far more varied than the default shape's (most occur once)."""
    touchpoints = [tp for stage in yaml.safe_load(MANY_VARIANTS.read_text())["stages"] for tp in stage["touchpoints"]]
    by_device: dict[str, list[dict]] = {}
    for record in good_records(web_shop):
        by_device.setdefault(record["anonymous_id"], []).append(dict(record, source="clickstream"))
    paths = []
    for records in by_device.values():
        records.sort(key=lambda record: (moment(record["timestamp"]), record["event_id"]))
        path = touchpoint_path(records, touchpoints)
        while "Order" in path:  # the goal ends a journey
            cut = path.index("Order") + 1
            paths.append(path[:cut])
            path = path[cut:]
        paths += [path] if path else []
    assert len(set(paths)) > 0.6 * len(paths)
    assert sum(len(path) for path in paths) / len(paths) > 5


def test_the_many_variants_shape_is_deterministic_by_seed(tmp_path):
    first, again, other = (generate(tmp_path / name, 300, seed=seed, shape="many-variants", file_format="parquet")
                           for name, seed in (("first", 4), ("again", 4), ("other", 5)))
    assert {f.path: (tmp_path / "first" / f.path).read_bytes() for f in first.files} == {
        f.path: (tmp_path / "again" / f.path).read_bytes() for f in again.files}
    assert {f.path: (tmp_path / "first" / f.path).read_bytes() for f in first.files} != {
        f.path: (tmp_path / "other" / f.path).read_bytes() for f in other.files}
