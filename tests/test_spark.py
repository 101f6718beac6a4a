"""The Spark engine against DuckDB's: identity (Spark SQL), the per-person tables (each bucket of persons mined
by the DuckDB code in Spark's Python workers), the tables summed over everyone (Spark SQL) and every file of a
run, from the same statement files, equal to DuckDB's to the last bit on the samples and on the
brute-force reference's events; and the translation rules, each on its own."""

import json
import math
from datetime import date, datetime, time, timedelta, timezone
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pyarrow.parquet as pq
import pytest
import test_mining_reference as reference
import test_pipelines_mining as pipelines_mining
from conftest import HASH_KEY

from journey_mining import cli, comparisons, db, definition, identity, ingest, mining, run, spark, sql, twin

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
# what spark.sum_everyone sums: every table over everyone but the alerts and trends
SUMMED = [table for table in mining.SUMMED_TABLES if table not in sql.tables("comparisons", "sums")]
NOT_COMPARED = {"mining_runs": {"mined_at"}}  # the clock
INGEST_NOW = datetime(2026, 10, 4, tzinfo=timezone.utc)  # the night after the samples' last export


@pytest.fixture(scope="module")
def session():
    found = spark.session({"spark.master": "local[2]", "spark.sql.shuffle.partitions": "4",
                           "spark.ui.enabled": "false"})
    yield found
    found.stop()


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    """The bundled samples ingested and mined with both bundled definitions, in DuckDB, pseudonymised with the
    suite's key (the autouse hash_key comes after a module's fixtures)."""
    path = tmp_path_factory.mktemp("duckdb") / "journeys.duckdb"
    con = db.connect(path)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JOURNEYS_HASH_KEY", HASH_KEY)
        for source in ("clickstream", "crm"):
            ingest.ingest(con, source, sorted((SAMPLES / "landing").glob(f"*/{source}")))
        identity.build_persons(con)
        journeys = [definition.load(SAMPLES / "definitions" / f"{name}.yaml") for name in ("purchase", "service")]
        for journey in journeys:
            mining.mine(con, journey)
    yield con, journeys
    con.close()


def rows_of(table: pa.Table, skip: set[str]) -> list[dict]:
    """The rows, sorted by their columns that are not floating point (a key in every summed table), then by
    the others (per-person rows, which the same DuckDB code makes on both sides, are equal to the last bit)."""
    columns = [name for name in table.column_names if name not in skip]
    floating = [pa.types.is_floating(table.schema.field(name).type) for name in columns]
    keys = [name for name, is_float in zip(columns, floating) if not is_float] + [
        name for name, is_float in zip(columns, floating) if is_float]
    return sorted(table.select(columns).to_pylist(), key=lambda row: [(row[k] is None, str(row[k])) for k in keys])


def assert_same_rows(table: str, ours: pa.Table, theirs: pa.Table) -> None:
    skip = NOT_COMPARED.get(table, set())
    expected, found = rows_of(ours, skip), rows_of(theirs, skip)
    assert len(found) == len(expected), table
    for want, got in zip(expected, found):
        assert_same_row(table, want, got)


def assert_same_row(name: str, want: dict, got: dict) -> None:
    """Every value equal, floats to the last bit (NaN to NaN): sums are exact and quantiles taken in integers."""
    assert want.keys() == got.keys(), name
    for column, value in want.items():
        if isinstance(value, float) and math.isnan(value):
            assert math.isnan(got[column]), (name, column, want)
        else:
            assert got[column] == value, (name, column, want)


def test_the_warehouse_replaces_a_definitions_rows_and_appends_the_rows_ingest_makes(session, tmp_path):
    # the warehouse named by a URI, as a cluster path is (hdfs://, s3a://): every file goes through Hadoop's FileSystem
    warehouse = spark.Warehouse(session, (tmp_path / "warehouse").as_uri())
    schema = spark.table_schema("rarest_edges")
    frame = lambda rows: session.createDataFrame(rows, schema)  # noqa: E731
    warehouse.replace("rarest_edges", "a/b c", frame([("a/b c", 1, 5), ("a/b c", 2, 7)]))
    warehouse.replace("rarest_edges", "other", frame([("other", 3, 1)]))
    warehouse.replace("rarest_edges", "a/b c", frame([("a/b c", 4, 2)]))
    warehouse.replace("rarest_edges", "other", frame([]))  # none left: the partition goes
    found = session.table("rarest_edges").toArrow().to_pylist()
    assert found == [{"definition": "a/b c", "rarest_edge_journeys": 4, "journeys": 2}]
    # rows made in the driver (ingest's) are added to a table of the whole warehouse as one more file each time
    with pytest.raises(spark.SparkSqlError, match="partitioned"):
        warehouse.append("rarest_edges", pa.table({"definition": ["x"], "rarest_edge_journeys": [1], "journeys": [1]}))
    files = session.createDataFrame(
        [(1, "a.jsonl", "clickstream", "ab", 10, 3, 2, 1, 0, datetime(2026, 10, 4, tzinfo=timezone.utc))],
        spark.table_schema("ingested_files")).toArrow()
    warehouse.append("ingested_files", files)
    warehouse.append("ingested_files", files.set_column(0, "file_id", pa.array([2], pa.int32())))
    assert [row["file_id"] for row in session.table("ingested_files").orderBy("file_id").collect()] == [1, 2]
    assert not list((tmp_path / "warehouse" / "ingested_files").glob("_incoming*"))


@pytest.mark.parametrize("duckdb_sql, spark_sql", [
    ("select epoch_us(t) from x", "SELECT UNIX_MICROS(t) FROM x"),
    ("select quantile_cont(s, 0.9) from x", "SELECT PERCENTILE(s, 0.9) FROM x"),
    ("select l[1], l[s], l[s - 1] from x", "SELECT TRY_ELEMENT_AT(l, 1), TRY_ELEMENT_AT(l, s), TRY_ELEMENT_AT(l, s - 1) FROM x"),
])
def test_each_rule_says_in_spark_what_duckdb_means(duckdb_sql, spark_sql):
    assert spark.spark_sql(duckdb_sql) == spark_sql


def test_the_rules_give_duckdbs_values_on_spark(session, con):
    # the same expressions on both engines: 1-based list indexes (null out of range), exact interpolated
    # quantiles, microseconds of an instant
    query = ("select l[1] as first, l[3] as third, l[5] as outside, quantile_cont(v, 0.9) as p90, median(v) as mid, "
             "epoch_us(t) as us from (select [10, 20, 30] as l, unnest([1.0, 2.0, 4.0, 8.0]::double[]) as v, "
             "'2026-10-01 12:00:00.123456+00'::timestamptz as t) group by l, t")
    ours = con.sql(query).to_arrow_table().to_pylist()
    theirs = session.sql(spark.spark_sql(query))
    assert theirs.toArrow().to_pylist() == ours
    assert ours[0]["first"] == 10 and ours[0]["third"] == 30 and ours[0]["outside"] is None
    assert ours[0]["p90"] == pytest.approx(6.8) and ours[0]["mid"] == 3.0


def test_a_construct_spark_reads_otherwise_is_refused_by_name():
    with pytest.raises(spark.SparkSqlError, match="length counts text only"):
        spark.spark_sql("select len(l) from x")


def test_a_run_on_spark_gives_duckdbs_tables_and_files(session, mined, tmp_path):
    # the samples hold shared devices: components over the oversize limit, kept apart identifier by identifier
    compared = assert_run_on_spark_as_in_duckdb(session, *mined, tmp_path)
    # every table had rows to compare, but the alerts: the samples hold no change (the next test plants one)
    assert min(n for table, n in compared.items() if table != "alerts") > 0 and compared["variants"] > 1000, compared


@pytest.mark.parametrize("seed, inactivity, end_on_goal, collapse", [
    (5, "1d", True, False),   # gaps of exactly the inactivity stay in the journey; goals in a row; repeats kept
    (8, "3d", False, True),  # goals do not end journeys; repeats collapsed
])
def test_spark_mines_ties_repeats_gaps_at_the_timeout_and_goals_in_a_row_as_duckdb(session, tmp_path, seed, inactivity,
                                                                                  end_on_goal, collapse):
    # the brute-force reference's events: several events of a person at one second, the same touchpoint
    # again and again, gaps of 0 s to 9 days (one day: exactly the timeout of the first case); and a planted
    # change for the alerts
    rows = reference.random_events(seed, 150)
    rows += planted_journeys(rows, 80)
    con = reference.mined(tmp_path, rows, inactivity, end_on_goal, collapse)
    compared = assert_run_on_spark_as_in_duckdb(session, con, [definition.load(tmp_path / "reference.yaml")], tmp_path)
    assert compared["alerts"] > 0 and compared["trends"] > 0, compared
    con.close()


def test_identity_on_spark_settles_a_long_chain_in_rounds_growing_with_its_logarithm(session, tmp_path):
    # one chain a1 - u1 - a2 - u2 - … of 2,001 identifiers, numbered so that the least lies at its far end: labels
    # passed one link a round would take 2,000 rounds; with pointer jumping, about log2(2,001) = 11
    pairs = 1000
    rows = [{"event_id": f"e{i}-{side}", "timestamp": f"2026-10-01T00:00:0{side}Z", "event": "page_view",
             "anonymous_id": f"a{pairs - i - side:05d}", "user_id": f"u{pairs - i:05d}"}
            for i in range(pairs) for side in (0, 1)]
    events_file = tmp_path / "chain.jsonl"
    events_file.write_text("".join(json.dumps(row) + "\n" for row in rows))
    con = db.connect(tmp_path / "chain.duckdb")
    ingest.ingest(con, "clickstream", [events_file])
    ours = identity.build_persons(con, max_ids_per_person=5000)
    session.createDataFrame(con.sql("select * from events").to_arrow_table()).createOrReplaceTempView("events")
    theirs = spark.build_persons(spark.Warehouse(session, str(tmp_path / "warehouse")), HASH_KEY.encode(),
                                 max_ids_per_person=5000)
    assert (theirs.persons, theirs.identifiers) == (ours.persons, ours.identifiers) == (1, 2 * pairs + 1)
    assert theirs.rounds == ours.rounds <= math.ceil(math.log2(2 * pairs + 1)) + 2
    for table in identity.REBUILT_TABLES:
        assert_same_table(con, session, table, None)
    con.close()


def planted_journeys(rows: list[dict], persons: int) -> list[dict]:
    """`persons` more clickstream rows' persons, each Ad, Signup and Order a minute apart, starting 10 days
    before the latest event of `rows`: in the window a nightly alert compares (7 days, read at 7 days)."""
    latest = max(datetime.fromisoformat(row["timestamp"]) for row in rows)
    start = datetime.combine(latest.date(), time(), timezone.utc) - timedelta(days=10)
    return [{"event_id": f"planted-{person}-{step}", "anonymous_id": f"planted-{person}",
             "timestamp": (start + timedelta(minutes=person + step)).isoformat().replace("+00:00", "Z"),
             "event": event, "page_url": None, "properties": {"product": "pro"}}
            for person in range(persons) for step, event in enumerate(("ad_click", "signup", "order"))]


def assert_run_on_spark_as_in_duckdb(session, con, journeys, tmp_path) -> dict[str, int]:
    """DuckDB's loaded events and ingest counts in a warehouse, the persons built on Spark and each definition
    mined there (spark.mine_definition, in 3 buckets of persons): identity's tables, every per-person and
    summed table, and every file of the run equal DuckDB's. The rows compared, by table."""
    session.createDataFrame(con.sql("select * from events").to_arrow_table()).createOrReplaceTempView("events")
    warehouse = spark.Warehouse(session, str(tmp_path / "warehouse"))
    warehouse.overwrite("ingested_files", session.createDataFrame(
        con.sql("select * from ingested_files").to_arrow_table(), spark.table_schema("ingested_files")))
    spark.build_persons(warehouse, HASH_KEY.encode())
    compared = {}
    for table in identity.REBUILT_TABLES:
        compared[table] = assert_same_table(con, session, table, None)
    for journey in journeys:
        run.conform(con, journey)
        run.export(con, journey, tmp_path / "duckdb", workbook=True, event_log=True)
        spark.mine_definition(warehouse, journey, tmp_path / "spark", buckets=3, workbook=True, event_log=True)
        for table in (*mining.PERSON_TABLES, *mining.SUMMED_TABLES, *sql.tables("conformance", "model"),
                      *sql.tables("journeys", "state")):
            compared[table] = compared.get(table, 0) + assert_same_table(con, session, table, journey.name)
        assert_same_files(tmp_path / "duckdb" / journey.name, tmp_path / "spark" / journey.name)
    assert compared["journeys"] > 100 and compared["journey_steps"] > compared["journeys"], compared
    return compared


def assert_same_table(con, session, table: str, definition_name: str | None) -> int:
    """The table (the definition's rows) equal in DuckDB and in the Spark session; the rows compared. Journey
    keys are each engine's own numbering and only join tables: rows are compared without them."""
    where, params = ("where definition = ?", [definition_name]) if definition_name else ("", [])
    ours = con.sql(f"select * from {table} {where}", params=params).to_arrow_table()
    theirs = session.table(table)
    theirs = (theirs.where(theirs.definition == definition_name) if definition_name else theirs).toArrow()
    if "journey_key" in ours.column_names:
        ours, theirs = ours.drop_columns(["journey_key"]), theirs.drop_columns(["journey_key"])
    assert_same_rows(table, ours, theirs)
    return len(ours)


def assert_same_files(ours: Path, theirs: Path) -> None:
    """The same files, each equal: tables (and workbook sheets) row by row in their order (floats to the
    last bit), summary.json with its timings aside, report.html with its line of timings aside, the
    discovered models as graphs (pm4py makes up their ids)."""
    names = sorted(path.name for path in ours.iterdir())
    assert names == sorted(path.name for path in theirs.iterdir())
    for name in names:
        mine, other = ours / name, theirs / name
        if mine.suffix in (".csv", ".parquet"):
            read = pa_csv.read_csv if mine.suffix == ".csv" else pq.read_table
            assert_same_ordered_rows(name, read(mine), read(other))
        elif name == "summary.json":
            summary, found = (json.loads(path.read_text()) for path in (mine, other))
            del summary["timings_s"], found["timings_s"]
            assert found == summary, name
        elif name == "report.html":
            assert without_timings(other.read_text()) == without_timings(mine.read_text())
        elif mine.suffix == ".xlsx":
            sheets, found = (pd.read_excel(path, sheet_name=None) for path in (mine, other))
            assert list(found) == list(sheets), name
            for sheet, rows in sheets.items():
                assert_same_ordered_rows(f"{name}: {sheet}", pa.Table.from_pandas(rows), pa.Table.from_pandas(found[sheet]))
        elif mine.suffix == ".xes":
            assert other.read_bytes() == mine.read_bytes(), name
        elif mine.suffix in (".pnml", ".bpmn"):
            assert nx.is_isomorphic(model_graph(mine), model_graph(other),
                                    node_match=lambda a, b: a["what"] == b["what"]), name
        else:
            raise AssertionError(f"{name}: no comparison for this file")


def assert_same_ordered_rows(name: str, ours: pa.Table, theirs: pa.Table) -> None:
    assert theirs.schema == ours.schema, name
    assert len(theirs) == len(ours), name
    for want, got in zip(ours.to_pylist(), theirs.to_pylist()):
        assert_same_row(name, want, got)


def without_timings(report: str) -> str:
    start = report.index('<p class="note">Timings: ')
    return report[:start] + report[report.index(". Versions: ", start):]


def model_graph(path: Path) -> nx.MultiDiGraph:
    """What a discovered model says, its made-up ids aside: PNML's places (with their markings) and transitions
    (the touchpoint, or none when silent) joined by arcs; BPMN's process nodes (kind and name) joined by flows."""
    root = ET.parse(path).getroot()
    graph = nx.MultiDiGraph()
    kind = lambda element: element.tag.split("}")[-1]  # noqa: E731
    if path.suffix == ".pnml":
        final = {place.get("idref"): place.findtext("text") for place in root.iter("place") if place.get("idref")}
        for place in root.iter("place"):
            if place.get("id"):
                graph.add_node(place.get("id"), what=("place", place.findtext("initialMarking/text"),
                                                      final.get(place.get("id"))))
        for transition in root.iter("transition"):
            silent = any(tool.get("activity") == "$invisible$" for tool in transition.iter("toolspecific"))
            graph.add_node(transition.get("id"), what=("transition", None if silent else transition.findtext("name/text")))
        for arc in root.iter("arc"):
            graph.add_edge(arc.get("source"), arc.get("target"))
    else:
        (process,) = [element for element in root if kind(element) == "process"]
        for element in process:
            if kind(element) == "sequenceFlow":
                graph.add_edge(element.get("sourceRef"), element.get("targetRef"))
            else:
                graph.add_node(element.get("id"), what=(kind(element), element.get("name")))
    assert graph.number_of_edges() > 0, path
    return graph


def test_the_command_line_ingests_mines_compares_and_asks_what_if_on_spark(session, mined, tmp_path, capsys,
                                                                          monkeypatch):
    """`--engine spark` on ingest, mine, whatif and compare, the warehouse named by --db: the same counts,
    figures and files (whatif.csv, comparison.csv) as DuckDB's (the `mined` fixture's database); bad usage in
    one line."""
    con, journeys = mined
    journey = journeys[0]
    warehouse = tmp_path / "warehouse"
    monkeypatch.setenv("JOURNEYS_HASH_KEY", HASH_KEY)
    spark_options = ["--engine", "spark", "--db", str(warehouse)]
    for source in ("clickstream", "crm"):
        assert cli.main(["ingest", source, *sorted(map(str, (SAMPLES / "landing").glob(f"*/{source}"))), "--json",
                         *spark_options]) == 0
    counted = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert counted == [counts.as_json() for counts in ingest.all_file_counts(con)]

    assert cli.main(["mine", str(journey.path), *spark_options, "--out", str(tmp_path / "out")]) == 0
    journeys_, persons = sql.one(con, "select journeys, persons from mining_runs where definition = ?", [journey.name])
    assert f"{journey.name}: {journeys_} journeys of {persons} persons" in capsys.readouterr().out

    assert cli.main(["whatif", str(journey.path), "--scenario", "exit Pricing = -20%", *spark_options,
                     "--out", str(tmp_path / "out")]) == 0
    changes = [twin.parse_scenario(journey, "exit Pricing = -20%")]
    paths = twin.stored_paths(con, journey)
    result = twin.what_if(journey, paths, changes)
    expected = twin.what_if_text(journey.name, "exit Pricing = -20%", int(paths.journeys.sum()), result)
    assert capsys.readouterr().out == expected
    twin.write_what_if(tmp_path / "duckdb" / "whatif.csv", journey.name, "exit Pricing = -20%", result)

    periods = ["2026-09-01..2026-09-20", "2026-09-21..2026-10-03"]
    assert cli.main(["compare", str(journey.path), "--periods", *periods, *spark_options,
                     "--out", str(tmp_path / "out")]) == 0
    compared = comparisons.between_periods(con, journey, (date(2026, 9, 1), date(2026, 9, 20)),
                                           (date(2026, 9, 21), date(2026, 10, 3)))
    assert capsys.readouterr().out.splitlines()[0].startswith(
        f"{journey.name}: {compared['kind'].notna().sum():,} differences among {len(compared):,} items")
    comparisons.write_comparison(tmp_path / "duckdb" / "comparison.csv", journey.name, compared)
    for name in ("whatif.csv", "comparison.csv"):  # the files, as DuckDB's command would write them
        assert_same_ordered_rows(name, pa_csv.read_csv(tmp_path / "duckdb" / name),
                                 pa_csv.read_csv(tmp_path / "out" / journey.name / name))

    none = tmp_path / "none"
    assert cli.main(["mine", str(journey.path), "--engine", "spark", "--db", str(none)]) == 1
    assert cli.main(["mine", str(journey.path), *spark_options, "--spark-conf", "x"]) == 2
    monkeypatch.delenv("JOURNEYS_HASH_KEY")
    assert cli.main(["mine", str(journey.path), *spark_options]) == 2
    errors = capsys.readouterr().err.splitlines()
    assert [line for line in errors if line.startswith("journeys: ")] == [
        f"journeys: {none}: no events and persons in this warehouse; load them with "
        f"`journeys ingest --engine spark --db {none}`",
        "journeys: --spark-conf 'x': expected spark.KEY=VALUE, e.g. spark.executor.memory=8g",
        "journeys: --engine spark: set JOURNEYS_HASH_KEY, the key e-mails and person ids are pseudonymised with "
        "(a warehouse keeps no key)"]


def test_ingest_on_spark_accounts_for_every_row_as_duckdbs_across_runs(session, tmp_path, hash_key):
    """The first export day, then the other two, in two runs of each source: the later runs repeat keys the
    first stored (duplicates, and conflicts quarantined). Events, quarantine and file counts equal DuckDB's."""
    con = db.connect(tmp_path / "journeys.duckdb")
    warehouse = spark.Warehouse(session, str(tmp_path / "warehouse"))
    days = sorted(path.name for path in (SAMPLES / "landing").iterdir() if path.is_dir())
    for run_days in (days[:1], days[1:]):
        for source in ("clickstream", "crm"):
            paths = [SAMPLES / "landing" / day / source for day in run_days]
            ours = ingest.ingest(con, source, paths, now=INGEST_NOW)
            assert spark.ingest_files(warehouse, source, paths, now=INGEST_NOW) == ours
    for table in ("events", "quarantine", "ingested_files"):
        assert_same_table(con, session, table, None)
    # the later runs repeated keys stored by the first: more of their rows are duplicates than when read alone
    later = sql.one(con, "select sum(duplicates) from ingested_files where file_id > 2")[0]
    alone = db.connect(tmp_path / "alone.duckdb")
    for source in ("clickstream", "crm"):
        ingest.ingest(alone, source, [SAMPLES / "landing" / day / source for day in days[1:]], now=INGEST_NOW)
    assert later > sql.one(alone, "select sum(duplicates) from ingested_files")[0]
    con.close()


def test_the_nightly_dagster_job_on_spark_gives_duckdbs_checks_and_files(session, tmp_path):
    """The nightly job of test_pipelines_mining's code location, both landing days in turn, with the database
    resource's spark engine (a warehouse) and with DuckDB: the same assets, the same check results, the same
    files."""
    from dagster import DagsterInstance

    from pipelines.resources import JourneysDatabase

    runs = {}
    with DagsterInstance.ephemeral() as instance:
        pipeline = pipelines_mining.Pipeline(tmp_path, instance)
        for engine in ("duckdb", "spark"):
            pipeline.database = JourneysDatabase(path=str(tmp_path / engine / "journeys"), engine=engine)
            pipeline.out = tmp_path / engine / "out"
            runs[engine] = [pipeline.run(day) for day in (pipelines_mining.DAY_1, pipelines_mining.DAY_2)]
    for ours, theirs in zip(runs["duckdb"], runs["spark"]):
        assert ours.success and theirs.success
        assert pipelines_mining._checks(theirs) == pipelines_mining._checks(ours)
        assert len(pipelines_mining._checks(ours)) > 5 and all(pipelines_mining._checks(ours).values())
        assert ({e.asset_key for e in theirs.get_asset_materialization_events()}
                == {e.asset_key for e in ours.get_asset_materialization_events()})
    assert_same_files(tmp_path / "duckdb" / "out" / "signup", tmp_path / "spark" / "out" / "signup")
