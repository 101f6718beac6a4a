"""The Spark engine's SQL: the statements of `sql/` run as Spark SQL over a warehouse of Parquet tables,
translated from DuckDB's dialect by SQLGlot and the few rules below, so that no query is kept twice.

- **Warehouse**: a folder (or a cluster path) with a folder of Parquet files per table, partitioned by
  definition (`<warehouse>/<table>/definition=<name>/`, the name escaped by Spark). A step that replaces
  a definition's rows (`delete_definition_rows`, then the folder's `insert into <table> …`) replaces that
  partition only: the other definitions' files are not touched.
- **Parameters** stay bound: DuckDB's `$name` is Spark's named parameter `:name`.
- **Rules**, where SQLGlot keeps DuckDB's words or Spark means something else by them (`SPARK_RULES`):
  `epoch_us(t)` is `unix_micros(t)`; `quantile_cont(x, p)` is the exact `percentile(x, p)` (Spark's
  `percentile_cont` takes its value in `within group`; `median(x)` is exact in both); DuckDB's `list[i]`
  counts from 1 and is null out of range, Spark's `try_element_at(list, i)`; DuckDB's `json` is Spark's
  `string` (its text). A construct known to mean
  something else with no rule (`len`) is refused by name (`SparkSqlError`); tests/test_spark.py, which
  holds every translated statement's rows to DuckDB's, is what finds the others.
- **Identity** (`build_persons`) and the **sums over everyone** (`sum_everyone`) run as Spark SQL. The
  **per-person work** (`mine_persons`): Spark shuffles the events into buckets of persons, and each bucket
  is mined by the product's own DuckDB code in the Python worker it lands on, in a database in memory.
- **In the driver**, by the product's DuckDB code: **ingest** (`ingest_files`: the night's files against the
  stored events whose keys they repeat; its rows added as Parquet files, `Warehouse.append`), and the
  **alerts, conformance and output files** of a mining run (`mine_definition`), on a copy of the definition's
  mined tables (`mirrored`).

pyspark is the optional extra `journey-mining[spark]`; this module imports it only when a session starts.
"""

import os
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from functools import cache
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import sqlglot
from sqlglot import exp

from journey_mining import db, identity, ingest, mining, pseudonyms, run, sql
from journey_mining.errors import UsageError
from journey_mining.definition import Definition

MASTER = "local[*]"  # JOURNEYS_SPARK_MASTER overrides it
EVENTS_PER_BUCKET = 2_000_000  # a bucket of persons is mined in one DuckDB in memory: about 1 GiB at this size
# What the driver's DuckDB reads from the warehouse for the alerts, conformance and the files of a definition:
# the per-person and summed tables (the definition's rows), and what the run summary tells of ingest and identity.
MIRRORED = (*mining.PERSON_TABLES, *mining.SUMMED_TABLES, *sql.tables("conformance", "model"), "mining_state")
MIRRORED_WHOLE = ("ingested_files", "oversize_components")
SETTINGS = {  # what every session of the product needs (a user's spark.* settings come on top)
    "spark.sql.session.timeZone": "UTC",  # timestamps are UTC instants, as in DuckDB's timestamptz
    "spark.ui.showConsoleProgress": "false",
    # Spark's log: errors only (its start-up notes and every shuffle's warnings would bury the product's lines)
    "spark.driver.extraJavaOptions":
        f"-Dlog4j2.configurationFile={(Path(__file__).parent / 'spark_log4j2.properties').as_uri()}",
}


class SparkSqlError(ValueError):
    """A statement of sql/ that the Spark engine cannot run with the same meaning."""


def session(settings: dict[str, str] | None = None):
    """The Spark session: the master of `settings` (spark.master), else JOURNEYS_SPARK_MASTER, else spark-submit's
    when it started this program, else local[*]; the product's SETTINGS, then `settings` (any spark.* key)."""
    from pyspark.sql import SparkSession

    # pyspark 4.3 warns that it does not fully support pandas 3: the engine hands rows over as Arrow, not pandas
    warnings.filterwarnings("ignore", message="PySpark does not yet fully support pandas", category=FutureWarning)
    settings = {**SETTINGS, **(settings or {})}
    submitted = "PYSPARK_GATEWAY_PORT" in os.environ  # spark-submit runs this program with its master and settings
    master = settings.pop("spark.master", None) or os.environ.get("JOURNEYS_SPARK_MASTER") or (
        None if submitted else MASTER)
    builder = SparkSession.builder.appName("journey-mining")
    if master:
        builder = builder.master(master)
    if (master or "").startswith("local"):  # Python workers on this machine: this environment's Python
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    for key, value in settings.items():
        builder = builder.config(key, value)
    found = builder.getOrCreate()
    found.sparkContext.setLogLevel("ERROR")  # not every shuffle's warnings: the product reports its own errors
    return found


def hash_key() -> bytes:
    """JOURNEYS_HASH_KEY, the key e-mails and person ids are pseudonymised with: the Spark engine's runs need it
    set (a warehouse keeps no key, unlike a DuckDB database)."""
    if key := os.environ.get("JOURNEYS_HASH_KEY"):
        return key.encode("utf-8")
    raise UsageError("--engine spark: set JOURNEYS_HASH_KEY, the key e-mails and person ids are pseudonymised with "
                     "(a warehouse keeps no key)")


def _call(name: str, *arguments: exp.Expression) -> exp.Expression:
    return exp.Anonymous(this=name, expressions=list(arguments))


def _one_based(index: exp.Expression) -> exp.Expression:
    """A DuckDB list index as written: SQLGlot reads a number one lower (Spark's arrays start at 0), any other
    expression as it is."""
    if isinstance(index, exp.Literal) and not index.is_string:
        return exp.Literal.number(int(index.this) + 1)
    return index


def _refused(why: str):
    def refuse(node: exp.Expression) -> exp.Expression:
        raise SparkSqlError(f"`{node.sql(dialect='duckdb')}`: {why}")
    return refuse


# (what a node is, what it becomes on Spark); the first that applies rewrites the node
SPARK_RULES: list[tuple[Callable[[exp.Expression], bool], Callable[[exp.Expression], exp.Expression]]] = [
    (lambda node: isinstance(node, exp.Anonymous) and node.name.lower() == "epoch_us",
     lambda node: _call("unix_micros", *node.expressions)),
    (lambda node: isinstance(node, exp.PercentileCont) and node.args.get("expression") is not None,
     lambda node: _call("percentile", node.this, node.expression)),
    # DuckDB's list[i] counts from 1 and is null out of range: Spark's try_element_at, not its 0-based [i]
    (lambda node: isinstance(node, exp.Bracket) and len(node.expressions) == 1,
     lambda node: _call("try_element_at", node.this, _one_based(node.expressions[0]))),
    # Spark has no JSON type: a JSON value's text, as DuckDB writes it to Parquet
    (lambda node: isinstance(node, exp.DataType) and node.this == exp.DataType.Type.JSON,
     lambda node: exp.DataType.build("string")),
    (lambda node: isinstance(node, exp.Length),
     _refused("Spark's length counts text only: write array_length for a list, strlen for text")),
]


def _spark_node(node: exp.Expression) -> exp.Expression:
    for applies, rewrite in SPARK_RULES:
        if applies(node):
            return rewrite(node)
    return node


@cache
def translated(name: str) -> exp.Expression:
    """`sql/<name>.sql` as a syntax tree in Spark's terms (SPARK_RULES applied)."""
    statement = sql.load(name)
    try:
        return _in_spark_terms(statement.text)
    except (sqlglot.errors.ParseError, ValueError) as error:
        raise SparkSqlError(f"{statement.where}: {error}") from error


def _in_spark_terms(duckdb_sql: str) -> exp.Expression:
    (tree,) = sqlglot.parse(duckdb_sql, read="duckdb")
    return tree.transform(_spark_node)


def spark_sql(duckdb_sql: str) -> str:
    """One statement in DuckDB's dialect as Spark SQL (SPARK_RULES applied)."""
    return spark_text(_in_spark_terms(duckdb_sql))


def spark_text(tree: exp.Expression) -> str:
    """A translated tree as Spark SQL text."""
    return tree.sql(dialect="spark")


class Warehouse:
    """Parquet tables partitioned by definition in `path`, each read by Spark as a temporary view of its name;
    a table that has no files yet reads as empty, with the columns of its `tables/<table>.sql`."""

    def __init__(self, spark, path: str):
        self.spark = spark
        self.path = path.rstrip("/")

    def table_path(self, table: str) -> str:
        return f"{self.path}/{table}"

    def has(self, table: str) -> bool:
        """Whether the table has files."""
        return self._exists(self.table_path(table))

    def show(self, table: str) -> None:
        """Make the temporary view `table` read the table's files as they are now."""
        schema = table_schema(table)
        frame = (self.spark.read.schema(schema).parquet(self.table_path(table)) if self.has(table)
                 else self.spark.createDataFrame([], schema))
        frame.select(*schema.fieldNames()).createOrReplaceTempView(table)

    def replace(self, table: str, definition: str, rows) -> None:
        """Make `rows` (a DataFrame of the table's columns, all of `definition`) the definition's rows of `table`."""
        self._delete(f"{self.table_path(table)}/definition={self._escaped(definition)}")
        rows.write.mode("append").partitionBy("definition").parquet(self.table_path(table))
        self.show(table)

    def append(self, table: str, rows: pa.Table) -> None:
        """Add `rows` (Arrow, the table's columns, made in the driver) to `table`, one of the whole warehouse (not
        partitioned by definition), as one more Parquet file: written here to Spark's types of the table, then
        copied into the table's folder as bytes (no row is handed to the JVM one by one) under a hidden name,
        and renamed, so that a reader never sees half a file."""
        from pyspark.sql.pandas.types import to_arrow_schema

        if "definition" in table_schema(table).fieldNames():
            raise SparkSqlError(f"{table}: partitioned by definition, so its rows are replaced, not appended")
        schema = to_arrow_schema(table_schema(table), timezone="UTC")
        name = f"part-{uuid.uuid4()}.parquet"
        with tempfile.TemporaryDirectory(prefix="journeys-spark-append-") as folder:
            local = Path(folder) / name
            pq.write_table(rows.select(schema.names).cast(schema), local)
            jvm = self.spark.sparkContext._jvm
            incoming, fs = self._file_system(f"{self.table_path(table)}/_incoming-{name}")
            fs.copyFromLocalFile(False, True, jvm.org.apache.hadoop.fs.Path(local.as_uri()), incoming)
            if not fs.rename(incoming, jvm.org.apache.hadoop.fs.Path(f"{self.table_path(table)}/{name}")):
                raise OSError(f"{self.table_path(table)}: cannot rename {incoming.getName()} to {name}")
        self.show(table)

    def overwrite(self, table: str, rows) -> None:
        """Make `rows` (a DataFrame of the table's columns) all the rows of `table`."""
        rows.write.mode("overwrite").parquet(self.table_path(table))
        self.show(table)

    def _escaped(self, value: str) -> str:
        jvm = self.spark.sparkContext._jvm
        return jvm.org.apache.spark.sql.catalyst.catalog.ExternalCatalogUtils.escapePathName(value)

    def _file_system(self, path: str):
        jvm = self.spark.sparkContext._jvm
        hadoop_path = jvm.org.apache.hadoop.fs.Path(path)
        return hadoop_path, hadoop_path.getFileSystem(self.spark.sparkContext._jsc.hadoopConfiguration())

    def _exists(self, path: str) -> bool:
        hadoop_path, fs = self._file_system(path)
        return fs.exists(hadoop_path)

    def _delete(self, path: str) -> None:
        hadoop_path, fs = self._file_system(path)
        fs.delete(hadoop_path, True)


@cache
def table_schema(table: str):
    """The Spark schema of a table of the warehouse, from the `create table` of its folder's tables/<table>.sql."""
    (found,) = [name for name in sql.statements_of() if name.endswith(f"/tables/{table}")]
    tree = translated(found)
    if not isinstance(tree, exp.Create):
        raise SparkSqlError(f"sql/{found}.sql: not a create table")
    return _ddl_schema(tree)


def _ddl_schema(tree: exp.Create):
    """The Spark schema of the columns a `create table <name> (<columns>)` declares."""
    from pyspark.sql.types import StructType

    columns = [f"`{column.name}` {column.args['kind'].sql(dialect='spark')}"
               for column in tree.this.expressions if isinstance(column, exp.ColumnDef)]
    return StructType.fromDDL(", ".join(columns))


def run_steps(warehouse: Warehouse, folder: str, values: dict, phase: str) -> None:
    """Run a phase of `folder` as sql.run_steps does in DuckDB, each step with the values it declares taken
    from `values`: an `insert into <table> <query>` replaces the definition's partition of <table>
    (`values["definition"]`) with the rows of <query>, or all of <table> when it has no definition column
    (identity's tables, made anew by every build); a `create or replace temp table <name> as <query>`
    makes <name> a temporary view of the query's rows, computed once (a local checkpoint), and one with
    columns only an empty view."""
    for name in sql.steps(folder, phase):
        tree, params = _bound(name, values)
        if isinstance(tree, exp.Insert):
            table = tree.this.name
            rows = warehouse.spark.sql(spark_text(tree.expression), args=params)  # the query, its `with` included
            rows = rows.toDF(*table_schema(table).fieldNames())
            if "definition" in table_schema(table).fieldNames():
                warehouse.replace(table, values["definition"], rows)
            else:  # a table made anew by every run (identity's)
                warehouse.overwrite(table, rows)
        elif isinstance(tree, exp.Create) and tree.args.get("kind") == "TABLE" and isinstance(tree.expression, exp.Query):
            rows = warehouse.spark.sql(spark_text(tree.expression), args=params)
            _checkpointed(rows).createOrReplaceTempView(tree.this.name)
        elif isinstance(tree, exp.Create) and tree.args.get("kind") == "TABLE" and isinstance(tree.this, exp.Schema):
            warehouse.spark.createDataFrame([], _ddl_schema(tree)).createOrReplaceTempView(tree.this.this.name)
        else:
            raise SparkSqlError(f"sql/{name}.sql: neither `insert into <table> <query>` nor `create … table <name>`, "
                                "what a step runs on Spark")


def _checkpointed(rows):
    """`rows` computed once (a local checkpoint) and read as a new plan over the stored rows. A checkpoint keeps
    the size Spark estimated for its query, and Spark estimates a join at the product of its inputs' sizes: over
    identity's label rounds, each reading the last, those estimates compound until planning one statement
    multiplies numbers of millions of digits (measured on a chain of 100,000 identifiers: 26 of the 30 s of its
    assignment step). The new plan starts from Spark's default estimate instead."""
    from pyspark.sql import DataFrame

    stored = rows.localCheckpoint()._jdf
    session = rows.sparkSession
    return DataFrame(session._jsparkSession.internalCreateDataFrame(
        stored.queryExecution().toRdd(), stored.schema(), False), session)


def query(warehouse: Warehouse, name: str, values: dict) -> pa.Table:
    """The rows of the query `sql/<name>.sql`, its parameters taken from `values`, as Arrow."""
    tree, params = _bound(name, values)
    return warehouse.spark.sql(spark_text(tree), args=params).toArrow()


def _bound(name: str, values: dict) -> tuple[exp.Expression, dict]:
    """The statement translated, and the values of the parameters it declares (all of them must be there)."""
    statement = sql.load(name)
    params = {key: values[key] for key in statement.parameters if key in values}
    statement.check_call(params)
    return translated(name), params


def sum_everyone(warehouse: Warehouse, definition: Definition, since: date | None, until: date | None) -> None:
    """The tables over everyone of a definition, summed from the per-person tables in the warehouse as
    mining.mine sums them in DuckDB: the [sums] of journeys/, conformance/ and funnels/, the twin, the
    personas and the segments (the alerts and trends are not on Spark yet)."""
    spark = warehouse.spark
    name = definition.name
    _hand_over(spark, mining.definition_tables(definition))
    run_steps(warehouse, "journeys", {"definition": name, "since": since, "until": until}, "sums")
    run_steps(warehouse, "conformance", {"definition": name}, "sums")
    run_steps(warehouse, "funnels", {"definition": name}, "sums")
    _hand_over(spark, mining.twin_tables(definition, query(warehouse, "twin/journey_chain_paths", {"definition": name})))
    run_steps(warehouse, "twin", {"definition": name}, "sums")
    tokens = query(warehouse, "segments/person_tokens", {"definition": name, "touchpoints": len(definition.touchpoints)})
    _hand_over(spark, mining.persona_tables(definition, tokens,
                                            lambda: query(warehouse, "segments/persons", {"definition": name})))
    for phase in ("personas", "values", "sums"):
        run_steps(warehouse, "segments", {"definition": name}, phase)


def _hand_over(spark, tables: dict[str, pa.Table]) -> None:
    """Figures made in Python, as the temporary views their statements read."""
    for view, rows in tables.items():
        spark.createDataFrame(rows).createOrReplaceTempView(view)


def mine_persons(warehouse: Warehouse, definition: Definition, since: date | None, until: date | None, *,
                 buckets: int) -> None:
    """Every person's rows of the per-person tables of `definition` (mining.PERSON_TABLES), replacing the
    definition's partitions: Spark shuffles the loaded events (the temporary views events, identities and
    persons) into `buckets` of persons, and each bucket is mined where it lands by the product's own DuckDB
    code (mining.mine_persons, in a database in memory)."""
    from pyspark.sql import functions as F
    from pyspark.sql.pandas.types import to_arrow_schema

    spark = warehouse.spark
    schema = _bucket_schema()
    arrow_schema = to_arrow_schema(schema, timezone="UTC")  # the workers build their rows to it (no session there)
    _make_view(spark, "identity/tables/keyed_events")
    tree, params = _bound("journeys/bucketed_events", {"buckets": buckets})
    rows = spark.sql(spark_text(tree), args=params)

    def mine_bucket(key, bucket_rows):  # no type hints: Spark reads them as a request for another calling form
        return _mine_bucket(definition, since, until, (key[0].as_py() + buckets) << 40, arrow_schema, bucket_rows)

    mined = rows.groupBy("bucket").applyInArrow(mine_bucket, schema).localCheckpoint()
    for table in mining.PERSON_TABLES:
        columns = [F.col(f"{table}__{name}").alias(name) for name in table_schema(table).fieldNames()]
        warehouse.replace(table, definition.name, mined.where(F.col("person_table") == table).select(*columns))


def _bucket_schema():
    """What a bucket's mining returns: the rows of every per-person table, each table's columns prefixed
    with its name (`journeys__path`), and person_table naming the table a row belongs to."""
    from pyspark.sql.types import StringType, StructField, StructType

    return StructType([StructField("person_table", StringType()), *(
        StructField(f"{table}__{field.name}", field.dataType, nullable=True)
        for table in mining.PERSON_TABLES for field in table_schema(table).fields)])


def _mine_bucket(definition: Definition, since: date | None, until: date | None, shift: int, schema: pa.Schema,
                 rows: pa.Table) -> pa.Table:
    """One bucket of persons mined in a DuckDB database in memory: its events, identities and persons loaded
    from `rows` (journeys/bucketed_events), then mining.mine_persons; the rows of the per-person tables as
    `schema` (_bucket_schema) says, the bucket's journey keys moved by `shift` (apart from every other
    bucket's)."""
    con = duckdb.connect()
    con.execute("set TimeZone = 'UTC'")
    for folder in db.SCHEMA_FOLDERS:
        sql.run_steps(con, folder, {}, phase="tables")
    mining.prepare(con, definition)
    person_columns = {f"person_{name}": name for name in ("identifiers", "events", "first_seen_at", "last_seen_at")}
    for table, source in (("events", rows), ("identities", rows),
                          ("persons", rows.rename_columns([person_columns.get(name, name) for name in rows.column_names]))):
        loaded = source.select(con.table(table).columns)
        if table != "events":
            loaded = loaded.group_by(loaded.column_names).aggregate([])  # one row per identifier, per person
        con.from_arrow(loaded).insert_into(table)
    mining.forget_touched_persons(con, definition.name, last_file_id=None)
    mining.mine_persons(con, definition, since, until, everyone=True)
    parts = []
    for table in mining.PERSON_TABLES:
        found = con.table(table).to_arrow_table()
        if "journey_key" in found.column_names:
            found = found.set_column(found.column_names.index("journey_key"), "journey_key",
                                     pc.add(found.column("journey_key"), shift))
        columns = {f"{table}__{name}": found.column(name) for name in found.column_names}
        parts.append(pa.table([
            pa.repeat(pa.scalar(table), len(found)) if field.name == "person_table"
            else columns[field.name].cast(field.type) if field.name in columns
            else pa.nulls(len(found), field.type) for field in schema], schema=schema))
    con.close()
    return pa.concat_tables(parts)


def _make_view(spark, name: str) -> None:
    """A `create or replace view <name> as <query>` of sql/ as Spark's temporary view of that name."""
    tree, params = _bound(name, {})
    if not (isinstance(tree, exp.Create) and tree.args.get("kind") == "VIEW"):
        raise SparkSqlError(f"sql/{name}.sql: not a `create view`")
    spark.sql(spark_text(tree.expression), args=params).createOrReplaceTempView(tree.this.name)


def build_persons(warehouse: Warehouse, key: bytes, *,
                  max_ids_per_person: int = identity.MAX_IDS_PER_PERSON) -> identity.IdentityReport:
    """Identities, persons and oversize components made anew from every loaded event (the temporary view
    events), as identity.build_persons makes them in DuckDB (a full rebuild), pseudonymised with `key`:
    the same statements, the label rounds repeated until no label moves."""
    spark = warehouse.spark
    spark.udf.register("keyed_hash", _keyed_hash(key))
    _make_view(spark, "identity/tables/keyed_events")
    run_steps(warehouse, "identity", {"after_file_id": 0}, "rows")
    run_steps(warehouse, "identity", {}, "links")
    spark.table("identity_nodes").selectExpr("node", "node as label").localCheckpoint().createOrReplaceTempView(
        "identity_labels")  # each node its own label, as identity.py starts them
    rounds = 0
    while True:
        rounds += 1
        run_steps(warehouse, "identity", {}, "settle")
        moved = spark.table("identity_labels_next").where("moved").count()
        spark.table("identity_labels_next").createOrReplaceTempView("identity_labels")
        if moved == 0:
            break
    run_steps(warehouse, "identity", {"max_ids": max_ids_per_person}, "assign")
    run_steps(warehouse, "identity", {}, "rebuilt")
    return identity.IdentityReport(
        persons=spark.table("persons").count(), identifiers=spark.table("identities").count(),
        oversize_components=[row[0] for row in spark.sql(
            "select identifiers from oversize_components order by identifiers desc").collect()],
        rounds=rounds)


class Cursor:
    """The warehouse's tables read as the product's checks read a DuckDB connection: `execute(query, params)`
    with a query in DuckDB's dialect (translated by spark_sql) and `?` parameters, then `fetchall()`."""

    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse
        self.rows: list[tuple] = []

    def execute(self, query: str, params: list | None = None) -> "Cursor":
        found = self.warehouse.spark.sql(spark_sql(query), args=list(params) if params else None)
        self.rows = [tuple(row) for row in found.collect()]
        return self

    def fetchall(self) -> list[tuple]:
        return self.rows


def _keyed_hash(key: bytes):
    """pseudonyms.keyed_hash with `key` as Spark's function keyed_hash (the key travels in the function, never
    in a statement's text), handed its texts a batch at a time."""
    import pandas as pd
    from pyspark.sql.functions import pandas_udf

    @pandas_udf("string")
    def keyed_hash(texts: pd.Series) -> pd.Series:
        return texts.map(lambda text: pseudonyms.keyed_hash(key, text), na_action="ignore")

    return keyed_hash


def mine_definition(warehouse: Warehouse, definition: Definition, out: Path, *, since: date | None = None,
                    until: date | None = None, buckets: int | None = None, workbook: bool = False,
                    event_log: bool = False, progress: Callable[[str], None] = lambda step: None) -> dict:
    """run.mine_definition on Spark: `mine`, then the alerts (`sum_alerts`), fitness and precision (`conform`)
    and the files made by the DuckDB code on one copy of the definition's mined tables in the driver
    (`mirrored`). The run summary. Always a full run: every person mined again."""
    timings = {}
    started = time.perf_counter()
    progress("mining journeys")
    mine(warehouse, definition, since, until, buckets=buckets)
    progress("alerts and trends")
    with mirrored(warehouse, definition) as con:
        sum_alerts(warehouse, con, definition)
        timings["mine"] = time.perf_counter() - started
        started = time.perf_counter()
        progress("fitness and precision")
        conform(warehouse, con, definition)
        timings["conformance"] = time.perf_counter() - started
        progress("writing files")
        return run.export(con, definition, out, timings=timings, workbook=workbook, event_log=event_log)


def mine(warehouse: Warehouse, definition: Definition, since: date | None = None, until: date | None = None, *,
         buckets: int | None = None) -> None:
    """The definition's tables in the warehouse as mining.mine makes them, but for the alerts and trends
    (sum_alerts): every person's rows (mine_persons), the sums over everyone (sum_everyone), the run's state."""
    mine_persons(warehouse, definition, since, until, buckets=buckets or default_buckets(warehouse))
    sum_everyone(warehouse, definition, since, until)
    warehouse.show("ingested_files")
    run_steps(warehouse, "journeys", {
        "definition": definition.name, "definition_sha256": mining.definition_sha256(definition), "since": since,
        "until": until, "remined_persons": None, "mined_by": mining.mining_code_digest()}, "state")


def sum_alerts(warehouse: Warehouse, con: duckdb.DuckDBPyConnection, definition: Definition) -> None:
    """The alerts and trends of the mined tables `mirrored` into `con`, by the DuckDB code, and the warehouse's."""
    tables = sql.tables("comparisons", "sums")
    for table in tables:
        sql.run_template(con, "journeys/delete_definition_rows", {"table": table}, {"definition": definition.name})
    mining.sum_alerts(con, definition, query(warehouse, "comparisons/latest_event_day", {})[0][0].as_py())
    write_back(warehouse, con, definition.name, tables)


def conform(warehouse: Warehouse, con: duckdb.DuckDBPyConnection, definition: Definition):
    """run.conform on the mined tables `mirrored` into `con`, its row of `conformance` the warehouse's too."""
    model = run.conform(con, definition)
    write_back(warehouse, con, definition.name, sql.tables("conformance", "model"))
    return model


def default_buckets(warehouse: Warehouse) -> int:
    """Buckets of persons for mine_persons: one per EVENTS_PER_BUCKET loaded events, at least one per core."""
    events = warehouse.spark.table("events").count()
    return max(warehouse.spark.sparkContext.defaultParallelism, -(-events // EVENTS_PER_BUCKET))


@contextmanager
def mirrored(warehouse: Warehouse, definition: Definition) -> Iterator[duckdb.DuckDBPyConnection]:
    """A DuckDB database in a temporary folder of the driver holding the definition's rows of the MIRRORED
    tables and all of MIRRORED_WHOLE, as they are in the warehouse, with the definition loaded: what the
    alerts, pm4py's conformance and the exports read. Removed on leaving."""
    with tempfile.TemporaryDirectory(prefix="journeys-spark-") as folder:
        con = db.connect(Path(folder) / "mirror.duckdb")
        try:
            mining.prepare(con, definition)
            for table in (*MIRRORED, *MIRRORED_WHOLE):
                warehouse.show(table)
                rows = warehouse.spark.table(table)
                if table in MIRRORED:
                    rows = rows.where(rows.definition == definition.name)
                con.from_arrow(rows.toArrow()).insert_into(table)
            yield con
        finally:
            con.close()


def write_back(warehouse: Warehouse, con: duckdb.DuckDBPyConnection, definition: str, tables: tuple[str, ...]) -> None:
    """The definition's rows of `tables`, made in the driver's DuckDB, as its rows of the warehouse's tables."""
    for table in tables:
        rows = con.table(table).filter(duckdb.ColumnExpression("definition") == duckdb.ConstantExpression(
            definition)).to_arrow_table()
        warehouse.replace(table, definition, warehouse.spark.createDataFrame(rows, table_schema(table)))


def ingest_files(warehouse: Warehouse, source: str, paths, *, progress: Callable[[str], None] | None = None,
                 **options) -> list[ingest.FileCounts]:
    """ingest.ingest into the warehouse: the files read and checked by the product's DuckDB ingest in the driver,
    every row accounted for as there, against the warehouse's stored events. Of those, the ingest needs only the
    ones whose key (source, event id) the run's rows repeat: the files are read once, then Spark looks for stored
    events with the keys loaded; when there are some, the files are read again beside them (whether a repeat is
    a duplicate or a conflict depends on the stored row). The run's new events, quarantined rows and file counts
    are added to the warehouse. `options` are ingest.ingest's (tz, now, quarantine_threshold, far_future_margin)."""
    hash_key()  # the ingest's own database would make up a key of its own
    for table in ("events", "ingested_files"):
        warehouse.show(table)
    files = warehouse.spark.table("ingested_files").toArrow()
    with tempfile.TemporaryDirectory(prefix="journeys-spark-ingest-") as folder:
        with _ingest_database(Path(folder) / "ingest.duckdb", files) as con:
            counts = ingest.ingest(con, source, paths, progress=progress, **options)
            stored = _stored_repeats(warehouse, con)
            if not len(stored):
                _add_run(warehouse, con, files)
                return counts
        if progress:
            progress(f"{len(stored)} stored events share keys with the files: reading them again beside those")
        with _ingest_database(Path(folder) / "again.duckdb", files) as con:
            con.from_arrow(stored).insert_into("events")
            counts = ingest.ingest(con, source, paths, progress=progress, **options)
            _add_run(warehouse, con, files)
            return counts


def _stored_repeats(warehouse: Warehouse, con: duckdb.DuckDBPyConnection) -> pa.Table:
    """The warehouse's events whose key (source, event id) an event of `con` (the run's, read alone) has."""
    keys = con.table("events").select("source", "event_id").distinct().to_arrow_table()
    if not (len(keys) and warehouse.has("events")):
        return con.table("events").limit(0).to_arrow_table()
    warehouse.spark.createDataFrame(keys).createOrReplaceTempView("ingest_run_keys")
    return warehouse.spark.sql("select e.* from events as e left semi join ingest_run_keys as k "
                               "on e.source = k.source and e.event_id = k.event_id").toArrow()


def _add_run(warehouse: Warehouse, con: duckdb.DuckDBPyConnection, files: pa.Table) -> None:
    """The run's rows of events, quarantine and ingested_files in `con` (file ids past `files`'), appended to the
    warehouse's; the file counts last, so that a run stopped before them loads its files again (as repeats)."""
    first_new = (pc.max(files.column("file_id")).as_py() or 0) + 1
    for table in ("events", "quarantine", "ingested_files"):
        rows = con.table(table).filter(duckdb.ColumnExpression("file_id") >= duckdb.ConstantExpression(
            first_new)).to_arrow_table()
        if len(rows):
            warehouse.append(table, rows)
        else:
            warehouse.show(table)


@contextmanager
def _ingest_database(path: Path, files: pa.Table) -> Iterator[duckdb.DuckDBPyConnection]:
    con = db.connect(path)
    try:
        con.from_arrow(files).insert_into("ingested_files")
        yield con
    finally:
        con.close()
