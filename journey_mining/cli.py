"""The `journeys` command line: ingest, vocab, mine, whatif, compare, demo and generate (the commands of docs/cli.md).

Errors a user can act on print one line on stderr and exit 1; bad usage exits 2. A traceback is
shown only with --debug.
"""

import argparse
import errno
import importlib
import json
import os
import re
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import duckdb

from journey_mining import comparisons, db, definition, identity, ingest, mining, report, run, twin, vocab
from journey_mining.columns import SOURCES
from journey_mining.errors import JourneyError, UsageError
from journey_samples import SHAPES, generate

ENGINES = ("duckdb", "spark")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except UsageError as error:
        if args.debug:
            raise
        print(f"journeys: {error}", file=sys.stderr)
        return 2
    except JourneyError as error:
        if args.debug:
            raise
        print(f"journeys: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("journeys: interrupted; the database is as it was before this run", file=sys.stderr)
        return 130
    except Exception as error:  # anything unforeseen still gets one line, the traceback on --debug
        if args.debug:
            raise
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        if where := _full_disk(error, first_line):
            print(f"journeys: no space left on device writing {where}; nothing of the step that failed was "
                  "kept (free some space and run the same command again)", file=sys.stderr)
        else:
            print(f"journeys: {type(error).__name__}: {first_line} (run with --debug for details)",
                  file=sys.stderr)
        return 1


def _full_disk(error: Exception, message: str) -> str | None:
    """The file a write failed on for want of space (DuckDB says it in its message, Python in the error)."""
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return str(error.filename or "a file")
    if "No space left on device" in message:
        quoted = re.search(r'"([^"]+)"', message)
        return quoted.group(1) if quoted else "the database"
    return None


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="journeys", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    engine = argparse.ArgumentParser(add_help=False)
    engine.add_argument("--engine", choices=ENGINES, default=os.environ.get("JOURNEYS_ENGINE") or "duckdb",
                        help="duckdb (default: $JOURNEYS_ENGINE, else duckdb) or spark: then --db names the warehouse, "
                             "a folder or cluster path of Parquet tables")
    engine.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                        help="a Spark setting (spark.*) for --engine spark; the master is $JOURNEYS_SPARK_MASTER, "
                             "else local[*]")
    commands = parser.add_subparsers(dest="command", required=True)

    load = commands.add_parser("ingest", parents=[common, engine], help="load clickstream or CRM files")
    load.add_argument("source", choices=SOURCES)
    load.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    load.add_argument("--db", help="database file (default: $JOURNEYS_DB, else journeys.duckdb)")
    load.add_argument("--tz", default="UTC", help="time zone of timestamps without an offset (default UTC)")
    load.add_argument("--json", action="store_true", help="one JSON object per file on stdout")
    load.add_argument("--quarantine-threshold", type=float, default=ingest.QUARANTINE_THRESHOLD,
                      help="fail a file whose quarantined share is above this fraction (default 0.05)")
    load.add_argument("--max-ids-per-person", type=int, default=identity.MAX_IDS_PER_PERSON,
                      help="identity components with more identifiers are not merged (default 50)")
    load.add_argument("--full-identity", action="store_true",
                      help="rebuild every person (default: link only the rows loaded since the last build)")
    load.set_defaults(run=_ingest)

    mine = commands.add_parser("mine", parents=[common, engine], help="mine journey definitions into output files")
    mine.add_argument("definitions", nargs="+", metavar="DEFINITION.yaml")
    mine.add_argument("--db", help="database file (default: $JOURNEYS_DB, else journeys.duckdb)")
    mine.add_argument("--out", default=os.environ.get("JOURNEYS_OUT") or "journeys_out",
                      help="output folder (default: $JOURNEYS_OUT, else journeys_out/)")
    mine.add_argument("--since", type=date.fromisoformat, help="first day analysed (UTC, inclusive)")
    mine.add_argument("--until", type=date.fromisoformat, help="last day analysed (UTC, inclusive)")
    mine.add_argument("--xlsx", action="store_true",
                      help="also write stage_kpis.xlsx: the stage KPIs and every other table as sheets")
    mine.add_argument("--xes", action="store_true",
                      help="also write journeys.xes: the journeys as an XES event log for ProM, Disco, Celonis or "
                           "pm4py (one XML element per path step: large)")
    mine.add_argument("--full", action="store_true",
                      help="mine every person again (default: only those touched since the latest run)")
    mine.set_defaults(run=_mine)

    whatif = commands.add_parser("whatif", parents=[common, engine],
                                 help="what conversion would be if a touchpoint or a move changed (the twin)")
    whatif.add_argument("definition", metavar="DEFINITION.yaml")
    whatif.add_argument("--scenario", action="append", required=True, metavar="SCENARIO",
                        help='"exit T = -20%%", "edge A -> B = +10%%" or "remove T"; several apply together')
    whatif.add_argument("--db", help="database file (default: $JOURNEYS_DB, else journeys.duckdb)")
    whatif.add_argument("--out", default=os.environ.get("JOURNEYS_OUT") or "journeys_out",
                        help="output folder: writes OUT/<definition name>/whatif.csv (default journeys_out/)")
    whatif.add_argument("--json", action="store_true", help="print the result as one JSON object")
    whatif.set_defaults(run=_whatif)

    compare = commands.add_parser("compare", parents=[common, engine],
                                  help="how one segment value differs from the rest, or two periods differ")
    compare.add_argument("definition", metavar="DEFINITION.yaml")
    against = compare.add_mutually_exclusive_group(required=True)
    against.add_argument("--segment", metavar="NAME=VALUE", help="the journeys with this value against the rest")
    against.add_argument("--periods", nargs=2, metavar=("A..B", "C..D"),
                         help="journeys started in C..D against those started in A..B (UTC days, ends included)")
    compare.add_argument("--db", help="database file (default: $JOURNEYS_DB, else journeys.duckdb)")
    compare.add_argument("--out", default=os.environ.get("JOURNEYS_OUT") or "journeys_out",
                         help="output folder: writes OUT/<definition name>/comparison.csv (default journeys_out/)")
    compare.set_defaults(run=_compare)

    words = commands.add_parser("vocab", parents=[common],
                                help="list the event names, URLs, objects, actions … the loaded events hold")
    words.add_argument("--db", help="database file (default: $JOURNEYS_DB, else journeys.duckdb)")
    words.add_argument("--source", choices=SOURCES, help="only this source's events (default: both)")
    output = words.add_mutually_exclusive_group()
    output.add_argument("--yaml", action="store_true",
                        help="print a starter journey definition with a touchpoint per frequent value")
    output.add_argument("--json", action="store_true", help="print every value and its count as one JSON object")
    words.set_defaults(run=_vocab)

    demo = commands.add_parser("demo", parents=[common],
                               help="run the nightly Dagster job on the bundled sample data")
    demo.add_argument("--out", default="journeys_out", help="working folder (default journeys_out/)")
    demo.set_defaults(run=_demo)

    generate = commands.add_parser("generate", parents=[common], help="write sample data of any size")
    generate.add_argument("--persons", type=int, required=True,
                          help="how many persons to make up (about 12 events each, both sources)")
    generate.add_argument("--out", required=True, help="landing folder to write into (day folders YYYY-MM-DD)")
    generate.add_argument("--seed", type=int, default=7, help="the same seed writes the same files (default 7)")
    generate.add_argument("--format", dest="file_format", default="mixed",
                          choices=("mixed", "jsonl", "csv", "parquet"),
                          help="file format of the exports (default mixed: every input format, as the "
                               "bundled samples)")
    generate.add_argument("--shape", default="default", choices=tuple(SHAPES),
                          help="what the data looks like (default: the bundled samples' company, clickstream "
                               "and CRM; many-variants: a web shop's clickstream only, about 9 events per person "
                               "over 16 touchpoints, for benchmarks)")
    generate.set_defaults(run=_generate)
    return parser


def _ingest(args: argparse.Namespace) -> int:
    options = {"tz": args.tz, "quarantine_threshold": args.quarantine_threshold, "progress": _progress}
    if args.engine == "spark":
        spark = _spark()
        warehouse = _warehouse(args, loaded=False)
        _counted(args, spark.ingest_files(warehouse, args.source, args.paths, **options))
        _progress("building persons")  # every identifier anew: a run stopped before this, run again, builds them
        _built(spark.build_persons(warehouse, spark.hash_key(), max_ids_per_person=args.max_ids_per_person))
        return 0
    con = db.connect(args.db)
    try:
        _counted(args, ingest.ingest(con, args.source, args.paths, **options))
        # also after a run that was stopped once its events were in and before its persons were
        if args.full_identity or not identity.persons_up_to_date(con):
            _progress("building persons")
            _built(identity.build_persons(con, max_ids_per_person=args.max_ids_per_person, full=args.full_identity))
    finally:
        con.close()
    return 0


def _built(persons: identity.IdentityReport) -> None:
    _progress(f"persons: {persons.persons} from {persons.identifiers} identifiers"
              + (f"; {len(persons.oversize_components)} oversize components kept apart"
                 if persons.oversize_components else ""))


def _counted(args: argparse.Namespace, reports: list[ingest.FileCounts]) -> None:
    if args.json:
        for report in reports:
            print(json.dumps(report.as_json()))
    else:
        _print_counts(reports)


def _mine(args: argparse.Namespace) -> int:
    definitions = definition.load_all(args.definitions)  # all valid before any work
    options = {"since": args.since, "until": args.until, "workbook": args.xlsx, "event_log": args.xes}
    if args.engine == "spark":
        spark = _spark()
        warehouse = _warehouse(args)
        for journey in definitions:
            _mined(journey, args, spark.mine_definition(warehouse, journey, Path(args.out), **options,
                                                        progress=_step_progress(journey)))
        return 0
    con = db.connect(db.existing_path(args.db))
    try:
        for journey in definitions:
            _mined(journey, args, run.mine_definition(con, journey, Path(args.out), full=args.full, **options,
                                                      progress=_step_progress(journey)))
    finally:
        con.close()
    return 0


def _step_progress(journey: definition.Definition):
    _progress(f"mining {journey.name} ({journey.path})")
    return lambda step: _progress(f"  {step}")


def _mined(journey: definition.Definition, args: argparse.Namespace, summary: dict) -> None:
    print(f"{journey.name}: {summary['journeys']} journeys of {summary['persons']} persons, "
          f"{summary['converted']} converted -> {Path(args.out) / journey.name}")
    for warning in summary["warnings"]:
        _progress(f"warning: {warning}")


@contextmanager
def _mined_tables(args: argparse.Namespace, journey: definition.Definition) -> Iterator[duckdb.DuckDBPyConnection]:
    """The definition's mined tables to read: the database file, or with --engine spark a copy of the
    warehouse's in the driver (spark.mirrored)."""
    if args.engine == "spark":
        with _spark().mirrored(_warehouse(args), journey) as con:
            yield con
        return
    con = db.connect(db.existing_path(args.db), read_only=True)
    try:
        yield con
    finally:
        con.close()


def _spark():
    """The Spark engine (the optional extra journey-mining[spark])."""
    try:
        from journey_mining import spark
    except ImportError as error:
        raise UsageError(f"--engine spark needs the optional extra: pip install 'journey-mining[spark]' ({error})") from None
    return spark


def _warehouse(args: argparse.Namespace, *, loaded: bool = True):
    """The Spark engine's warehouse, --db else $JOURNEYS_DB, in a session with the --spark-conf settings; with
    `loaded`, one that holds events and persons."""
    path = args.db or os.environ.get("JOURNEYS_DB")
    if not path:
        raise UsageError("--engine spark: name the warehouse with --db (or JOURNEYS_DB), a folder or cluster path")
    settings = {}
    for text in args.spark_conf:
        key, equals, value = text.partition("=")
        if not equals or not key.startswith("spark."):
            raise UsageError(f"--spark-conf {text!r}: expected spark.KEY=VALUE, e.g. spark.executor.memory=8g")
        settings[key] = value
    spark = _spark()
    spark.hash_key()  # refused before Spark starts
    _progress("starting Spark")
    warehouse = spark.Warehouse(spark.session(settings), path)
    if loaded and not (warehouse.has("events") and warehouse.has("persons")):
        raise JourneyError(f"{path}: no events and persons in this warehouse; load them with "
                           f"`journeys ingest --engine spark --db {path}`")
    for table in ("events", "identities", "persons"):
        warehouse.show(table)
    return warehouse


def _whatif(args: argparse.Namespace) -> int:
    journey = definition.load(args.definition)
    changes = [twin.parse_scenario(journey, text) for text in args.scenario]  # bad usage before any work
    with _mined_tables(args, journey) as con:
        mining.require_mined(con, journey)
        paths = twin.stored_paths(con, journey)
    result = twin.what_if(journey, paths, changes)
    scenario = "; ".join(change.text for change in changes)
    path = Path(args.out) / journey.name / "whatif.csv"
    twin.write_what_if(path, journey.name, scenario, result)
    if args.json:
        print(json.dumps({"definition": journey.name, "scenario": scenario, "file": str(path),
                          "rows": twin.what_if_rows(journey.name, scenario, result)}, default=str))
    else:
        print(twin.what_if_text(journey.name, scenario, int(paths.journeys.sum()), result), end="")
    return 0


def _compare(args: argparse.Namespace) -> int:
    journey = definition.load(args.definition)
    folder = Path(args.out) / journey.name
    with _mined_tables(args, journey) as con:
        mining.require_mined(con, journey)
        mining.load_definition(con, journey)
        if args.segment:
            segment, equals, value = args.segment.partition("=")
            if not equals:
                raise UsageError(f"--segment {args.segment!r}: expected NAME=VALUE, e.g. channel=google")
            compared = comparisons.segment_value(con, journey, segment, value)
            grouping, sides = "segment_journeys", ("the rest", f"{segment} = {value}")
        else:
            periods = [_period(text) for text in args.periods]
            compared = comparisons.between_periods(con, journey, *periods)
            grouping, sides = "period_journeys", tuple(f"{since} to {until}" for since, until in periods)
        comparisons.write_comparison(folder / "comparison.csv", journey.name, compared)
        rows = compared.astype(object).where(compared.notna(), None).to_dict("records")
        report.write_comparison(con, journey, grouping, sides, rows, folder / "comparison.html")
    differences = compared[compared["kind"].notna()]
    print(f"{journey.name}: {len(differences):,} differences among {len(compared):,} items: "
          f"{folder / 'comparison.csv'}, {folder / 'comparison.html'}")
    print(comparisons.differences_text(differences), end="")
    return 0


def _period(text: str) -> tuple[date, date]:
    since, dots, until = text.partition("..")
    try:
        return date.fromisoformat(since), date.fromisoformat(until)
    except ValueError:
        raise UsageError(f"--periods {text!r}: expected FIRST..LAST as days, e.g. 2026-09-01..2026-09-30") from None


def _vocab(args: argparse.Namespace) -> int:
    con = db.connect(db.existing_path(args.db), read_only=True)
    try:
        found = vocab.vocabulary(con, args.source)
    finally:
        con.close()
    if args.yaml:
        print(vocab.starter_definition(found, args.source), end="")
    elif args.json:
        print(json.dumps(vocab.as_json(found), ensure_ascii=False))
    else:
        print(vocab.as_text(found), end="")
    return 0


def _print_counts(reports: list[ingest.FileCounts]) -> None:
    width = max([len("file")] + [len(report.path) for report in reports])
    print(f"{'file':<{width}}  {'read':>9}  {'loaded':>9}  {'duplicates':>10}  {'quarantined':>11}")
    for report in reports:
        note = "  (loaded before; counts of its first load)" if report.already_loaded else ""
        print(f"{report.path:<{width}}  {report.read:>9}  {report.loaded:>9}  {report.duplicates:>10}  "
              f"{report.quarantined:>11}{note}")


def _demo(args: argparse.Namespace) -> int:
    # The demo runs the Dagster job itself; the library stays free of Dagster, so load it only here.
    demo = importlib.import_module("pipelines.demo")
    return demo.run_demo(Path(args.out))


def _generate(args: argparse.Namespace) -> int:
    report = generate(Path(args.out), args.persons, seed=args.seed, shape=args.shape,
                      file_format=args.file_format, progress=_progress)
    print(report)
    return 0


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
