"""The Spark engine against DuckDB's: identity (Spark SQL), the per-person tables (each bucket of persons mined
by the DuckDB code in Spark's Python workers) and the tables summed over everyone (Spark SQL), from the same
statement files, equal to DuckDB's row by row (rates to 1e-12 relative) on the samples and on the brute-force
reference's events; and the translation rules, each on its own."""

import math
from pathlib import Path

import pyarrow as pa
import pytest
import test_mining_reference as reference
from conftest import HASH_KEY

from journey_mining import db, definition, identity, ingest, mining, spark, sql

SAMPLES = Path(__file__).resolve().parent.parent / "data_samples"
# what spark.sum_everyone sums: every table over everyone but the alerts and trends
SUMMED = [table for table in mining.SUMMED_TABLES if table not in sql.tables("comparisons", "sums")]
NOT_COMPARED = {"mining_runs": {"mined_at"}}  # the clock


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
        assert want.keys() == got.keys(), table
        for column, value in want.items():
            if isinstance(value, float) and not math.isnan(value):
                assert got[column] == pytest.approx(value, rel=1e-12, abs=0), (table, column, want)
            else:
                assert got[column] == value, (table, column, want)


def test_the_sums_over_everyone_on_spark_equal_duckdbs(session, mined, tmp_path):
    con, journeys = mined
    warehouse = spark.Warehouse(session, str(tmp_path / "warehouse"))
    for table in mining.PERSON_TABLES:  # the per-person tables as the per-person passes leave them
        for journey in journeys:
            rows = con.sql(f"select * from {table} where definition = ?", params=[journey.name]).to_arrow_table()
            warehouse.replace(table, journey.name, session.createDataFrame(rows))
    compared = {}
    for journey in journeys:
        spark.sum_everyone(warehouse, journey, None, None)
        for table in SUMMED:
            ours = con.sql(f"select * from {table} where definition = ?", params=[journey.name]).to_arrow_table()
            theirs = session.table(table).where(f"definition = '{journey.name}'").toArrow()
            assert_same_rows(table, ours, theirs)
            compared[table] = compared.get(table, 0) + len(ours)
    assert min(compared.values()) > 0 and compared["variants"] > 1000, compared  # every table had rows to compare


def test_a_run_replaces_only_its_definitions_rows(session, tmp_path):
    warehouse = spark.Warehouse(session, str(tmp_path / "warehouse"))
    schema = spark.table_schema("rarest_edges")
    frame = lambda rows: session.createDataFrame(rows, schema)  # noqa: E731
    warehouse.replace("rarest_edges", "a/b c", frame([("a/b c", 1, 5), ("a/b c", 2, 7)]))
    warehouse.replace("rarest_edges", "other", frame([("other", 3, 1)]))
    warehouse.replace("rarest_edges", "a/b c", frame([("a/b c", 4, 2)]))
    warehouse.replace("rarest_edges", "other", frame([]))  # none left: the partition goes
    found = session.table("rarest_edges").toArrow().to_pylist()
    assert found == [{"definition": "a/b c", "rarest_edge_journeys": 4, "journeys": 2}]


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


def test_persons_mined_in_spark_buckets_give_duckdbs_rows_and_sums(session, mined, tmp_path):
    compared = assert_mined_on_spark_as_in_duckdb(session, *mined, tmp_path)
    assert min(compared.values()) > 0, compared  # every per-person table had rows to compare


@pytest.mark.parametrize("seed, inactivity, end_on_goal, collapse", [
    (5, "1d", True, False),   # gaps of exactly the inactivity stay in the journey; goals in a row; repeats kept
    (8, "3d", False, True),  # goals do not end journeys; repeats collapsed
])
def test_spark_mines_ties_repeats_gaps_at_the_timeout_and_goals_in_a_row_as_duckdb(session, tmp_path, seed, inactivity,
                                                                                  end_on_goal, collapse):
    # the brute-force reference's events: several events of a person at one second, the same touchpoint
    # again and again, gaps of 0 s to 9 days (one day: exactly the timeout of the first case)
    rows = reference.random_events(seed, 150)
    con = reference.mined(tmp_path, rows, inactivity, end_on_goal, collapse)
    assert_mined_on_spark_as_in_duckdb(session, con, [definition.load(tmp_path / "reference.yaml")], tmp_path)
    con.close()


def assert_mined_on_spark_as_in_duckdb(session, con, journeys, tmp_path) -> dict[str, int]:
    """The loaded events, identities and persons (as the Spark engine's ingest and identity will leave them)
    mined in Spark buckets of persons, then summed on Spark: every per-person and every summed table equals
    DuckDB's. The per-person rows compared, by table."""
    for table in ("events", "identities", "persons"):
        session.createDataFrame(con.sql(f"select * from {table}").to_arrow_table()).createOrReplaceTempView(table)
    warehouse = spark.Warehouse(session, str(tmp_path / "warehouse"))
    compared = dict.fromkeys(mining.PERSON_TABLES, 0)
    for journey in journeys:
        spark.mine_persons(warehouse, journey, None, None, buckets=3)
        for table in mining.PERSON_TABLES:
            ours = con.sql(f"select * from {table} where definition = ?", params=[journey.name]).to_arrow_table()
            theirs = session.table(table).where(f"definition = '{journey.name}'").toArrow()
            if "journey_key" in ours.column_names:  # the engine's own numbering: rows compared without it
                ours, theirs = ours.drop_columns(["journey_key"]), theirs.drop_columns(["journey_key"])
            assert_same_rows(table, ours, theirs)
            compared[table] += len(ours)
        spark.sum_everyone(warehouse, journey, None, None)
        for table in SUMMED:
            ours = con.sql(f"select * from {table} where definition = ?", params=[journey.name]).to_arrow_table()
            assert_same_rows(table, ours, session.table(table).where(f"definition = '{journey.name}'").toArrow())
    assert compared["journeys"] > 100 and compared["journey_steps"] > compared["journeys"], compared
    return compared


def test_persons_built_on_spark_equal_duckdbs(session, mined, tmp_path, hash_key):
    # the samples hold shared devices: components over the oversize limit, kept apart identifier by identifier
    con, _ = mined
    session.createDataFrame(con.sql("select * from events").to_arrow_table()).createOrReplaceTempView("events")
    warehouse = spark.Warehouse(session, str(tmp_path / "warehouse"))
    rounds = spark.build_persons(warehouse, hash_key.encode())
    assert rounds > 1
    for table in identity.REBUILT_TABLES:
        ours = con.sql(f"select * from {table}").to_arrow_table()
        assert len(ours) > 0, table
        assert_same_rows(table, ours, session.table(table).toArrow())
