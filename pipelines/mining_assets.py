"""The assets of one journey definition: the tables one mining run writes, conformance, the exports."""

from pathlib import Path

from dagster import (AssetKey, AssetsDefinition, AssetSpec, Config, MaterializeResult, MetadataValue, asset,
                     multi_asset)
from pydantic import Field

from journey_mining import checks, mining, run
from journey_mining.definition import Definition
from journey_mining.mining import EventCounts
from pipelines import formats
from pipelines.assets import persons
from pipelines.resources import JourneysDatabase, OutputFolder, dagster_name

# The tables journey_mining.mining.mine writes in one transaction, each an asset of the definition.
# (Its table mining_runs is the run's own record: the journeys asset shows it as metadata.)
MINED_ASSETS = {
    "journeys": "One row per journey: a person's mapped events between two cuts, its path, whether it converted.",
    "path_steps": "One row per step of a journey's path: the event log process mining tools read.",
    "stage_kpis": "One row per stage: journeys that reached it and dropped at it, median time to reach it.",
    "feelings": "One row per stage and per touchpoint: the mean survey score on one scale from -1 to 1.",
    "touchpoint_kpis": "One row per touchpoint: its events, journeys, exits and mean score.",
    "transitions": "One row per edge of the paths' directly-follows graph, (start) and (end) included.",
    "variants": "One row per distinct path: its journeys, share, conversion and conformance.",
    "deviations": "One row per deviation from the assumed journey taken, or assumed transition not taken.",
    "funnels": "One row per funnel step: persons, conversion rates, time from the previous step.",
    "attribution": "One row per touchpoint that is not a goal: the twin's removal effect with its interval, "
                   "its share of conversions, and the first-touch, last-touch, linear and position-based credits.",
    "twin_stages": "One row per stage: the share of journeys that reached it beside the twin's model.",
    "twin_transitions": "One row per transition of the twin's chain, with its probability.",
    "segments": "One row per segment and value: its journeys, their share and conversion.",
    "segment_stage_kpis": "One row per segment value and stage: the stage KPIs of that value's journeys.",
    "personas": "One row per behavioural persona: its name (the touchpoints of highest lift), persons, journeys "
                "and conversion; each person's persona in persona_members.",
    "alerts": "One row per change between the journeys started in the latest window and the window before "
              "(a difference by the comparison's test); none when nothing changed.",
    "trends": "One row per start week and item: the proportions the alerts compare, week by week.",
}
UNPREVIEWED = ("journeys", "path_steps", "trends")  # journeys and trends show their own; steps are too fine


def mining_assets(definition: Definition) -> list[AssetsDefinition]:
    """The assets of `definition`, in a group of their own, keys prefixed by its name as Dagster spells it
    (Dagster makes op names of asset keys, and those take ASCII letters, digits and `_` only)."""
    name, group = definition.name, dagster_name(definition.name)

    def key(table: str) -> AssetKey:
        return AssetKey([group, table])

    specs = [AssetSpec(key(table), deps=[persons], description=description, group_name=group,
                       kinds={"duckdb"}, metadata={"dagster/table_name": table})
             for table, description in MINED_ASSETS.items()]

    # One multi-asset, since mine() replaces all of the definition's tables in one transaction:
    # separate assets could only pretend to be computed (or fail) one by one.
    @multi_asset(name=f"mine_{group}", specs=specs,
                 description=f"Mines the journey definition {definition.path} over every loaded event: again "
                             "for the persons touched since its latest run, then sums everyone's journeys.")
    def mine(database: JourneysDatabase):
        with database.mined(definition) as con:
            counts = mining.event_counts(con, name)
            remined = mining.remined_persons(con, name)
            rows = checks.mined_rows(con, name)
            previews = {table: checks.first_rows(con, name, table)
                        for table in MINED_ASSETS if table not in UNPREVIEWED}
            weeks = checks.weekly_conversion(con, name)
        for table in MINED_ASSETS:
            metadata = {"dagster/row_count": rows[table]}
            if table == "journeys":
                metadata.update(_journey_counts(counts))
                metadata["persons mined again"] = "everyone (a full run)" if remined is None else remined
            elif table == "trends":
                metadata["latest weeks"] = MetadataValue.md(formats.markdown(
                    ("week", "journeys", "conversion rate", "conformance rate"), weeks))
            elif table in previews:
                metadata["preview"] = MetadataValue.md(_markdown(previews[table]))
            yield MaterializeResult(asset_key=key(table), metadata=metadata)

    @asset(key=key("conformance"), deps=[key("journeys"), key("path_steps")], group_name=group,
           kinds={"pm4py", "duckdb"})
    def conformance(database: JourneysDatabase) -> MaterializeResult:
        """Journeys without deviation, and pm4py's token-based replay fitness and precision of the
        journeys against the assumed journey (stages in sequence), within a time budget."""
        with database.conformed(definition) as (model, con):
            preview = checks.first_rows(con, name, "conformance")
        return MaterializeResult(metadata={
            "dagster/row_count": 1,
            "fitness": model.fitness,
            "precision": model.precision,
            "note": model.note,
            "preview": MetadataValue.md(_markdown(preview)),
        })

    @asset(key=key("exports"), deps=[*map(key, MINED_ASSETS), key("conformance")], group_name=group,
           kinds={"csv", "parquet"})
    def exports(config: ExportsConfig, database: JourneysDatabase, output: OutputFolder) -> MaterializeResult:
        """The definition's files for BI tools, spreadsheets and process mining tools (CSV, an Excel
        workbook, Parquet, the discovered model; XES when its config asks), summary.json and the journey
        map, in `<output folder>/<definition name>/`, which is replaced whole."""
        with database.mined_tables(definition) as con:
            summary = run.export(con, definition, Path(output.path), workbook=config.xlsx, event_log=config.xes)
        return MaterializeResult(metadata={
            "path": MetadataValue.path(str(Path(output.path) / name)),
            "journeys": summary["journeys"],
            "persons": summary["persons"],
            "converted": summary["converted"],
            "warnings": "\n".join(summary["warnings"]) or "none",
        })

    @asset(key=key("report"), deps=[key("exports")], group_name=group, kinds={"html"})
    def journey_map(database: JourneysDatabase, output: OutputFolder) -> MaterializeResult:
        """report.html: the journey map (observed paths in the assumed stages, drop-off, feelings) beside
        the stage funnel, variants, deviations, funnels and the run summary; one file that opens offline.
        The exports write it with the other files, since the folder is replaced whole; here it is shown."""
        path = Path(output.path) / name / "report.html"
        with database.mined_tables(definition) as con:
            stages = checks.stage_kpis(con, name)
        return MaterializeResult(metadata={
            # a file:// link would not open from Dagster's http page (browsers refuse it): the path, to open
            "path": MetadataValue.path(str(path)),
            "open": MetadataValue.text(f"open {path} in a browser (one file, works offline)"),
            "stage KPIs": MetadataValue.md(formats.markdown(formats.STAGE_COLUMNS, formats.stage_rows(stages))),
        })

    return [mine, conformance, exports, journey_map]


class ExportsConfig(Config):
    xlsx: bool = Field(default=True, description="Also write stage_kpis.xlsx: the stage KPIs and every other "
                                                 "table as sheets (at most 100,000 rows each)")
    xes: bool = Field(default=False, description="Also write journeys.xes: the journeys as an XES event log for "
                                                 "process mining tools (one XML element per path step: 1.7 GB at "
                                                 "10 million events)")


def _journey_counts(counts: EventCounts) -> dict[str, object]:
    return {
        "persons": counts.persons,
        "converted": counts.converted,
        "preview": MetadataValue.md(formats.markdown(
            ("events in scope", "out of scope", "mapped", "unmapped", "persons", "journeys", "converted"),
            [(counts.in_scope, counts.out_of_scope, counts.mapped, counts.unmapped, counts.persons,
              counts.journeys, counts.converted)])),
    }


def _markdown(preview: checks.Preview) -> str:
    return formats.markdown(preview.columns, preview.rows)
