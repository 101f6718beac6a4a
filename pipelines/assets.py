"""The assets: one landing day's files into the events table, then persons over all loaded events."""

from pathlib import Path

from dagster import AssetExecutionContext, Config, MaterializeResult, MetadataValue, asset
from pydantic import Field

from journey_mining import identity, ingest
from journey_mining.columns import SOURCES
from pipelines.partitions import landing_days
from pipelines.resources import JourneysDatabase, LandingFolder

PREVIEW_FILES = 10


@asset(partitions_def=landing_days, group_name="journeys", kinds={"duckdb"})
def events(context: AssetExecutionContext, database: JourneysDatabase,
           landing: LandingFolder) -> MaterializeResult:
    """Events of one landing day, both sources: every row loaded, counted as a duplicate or quarantined.

    Files are known by their content, so re-running a day loads nothing twice; a file whose
    quarantined share is above 5 % fails the run and loads nothing of that source's files.
    """
    day = context.partition_key
    folders = {source: landing.source_folder(day, source) for source in SOURCES}
    file_counts = database.ingest({source: folder for source, folder in folders.items() if folder.is_dir()},
                                  tz=landing.time_zone, progress=context.log.info)
    if not file_counts:
        context.log.warning(f"no export landed for {day} in {landing.path}")
    total = {field: sum(getattr(counts, field) for counts in file_counts)
             for field in ("read", "loaded", "duplicates", "quarantined")}
    return MaterializeResult(metadata={
        "dagster/row_count": total["loaded"],
        "files": len(file_counts),
        "files loaded before": sum(counts.already_loaded for counts in file_counts),
        **total,
        "preview": MetadataValue.md(_files_table(file_counts, Path(landing.path))),
    })


class PersonsConfig(Config):
    max_ids_per_person: int = Field(
        default=identity.MAX_IDS_PER_PERSON,
        description="An identity component with more identifiers is not merged into one person")
    full: bool = Field(default=False, description="Rebuild every person, not only the components new rows touch")


@asset(deps=[events], group_name="journeys", kinds={"duckdb"})
def persons(context: AssetExecutionContext, config: PersonsConfig,
            database: JourneysDatabase) -> MaterializeResult:
    """Persons of every loaded event, all days: identifiers seen on one row are one person.

    Not partitioned: identity links events across days. Each run links the rows loaded since the
    last one into the components they touch (in one transaction); the result equals a full rebuild.
    """
    report = database.build_persons(max_ids_per_person=config.max_ids_per_person, full=config.full)
    if report.oversize_components:
        context.log.warning(f"{len(report.oversize_components)} identity components above "
                            f"{config.max_ids_per_person} identifiers kept apart (shared devices, bots?)")
    return MaterializeResult(metadata={
        "dagster/row_count": report.persons,
        "identifiers": report.identifiers,
        "oversize components": len(report.oversize_components),
        "identifiers linked anew": "all (a full rebuild)" if report.relinked is None else report.relinked,
        "preview": MetadataValue.md(
            "| persons | identifiers | oversize components (identifiers each) |\n|---:|---:|---|\n"
            f"| {report.persons} | {report.identifiers} | "
            f"{', '.join(map(str, report.oversize_components)) or 'none'} |"),
    })


def _files_table(file_counts: list[ingest.FileCounts], landing: Path) -> str:
    lines = ["| file | source | read | loaded | duplicates | quarantined |", "|---|---|---:|---:|---:|---:|"]
    for counts in file_counts[:PREVIEW_FILES]:
        path = Path(counts.path)
        shown = path.relative_to(landing) if path.is_relative_to(landing) else path
        note = " (loaded before)" if counts.already_loaded else ""
        lines.append(f"| {shown}{note} | {counts.source} | {counts.read} | {counts.loaded} | "
                     f"{counts.duplicates} | {counts.quarantined} |")
    if len(file_counts) > PREVIEW_FILES:
        lines.append(f"| … {len(file_counts) - PREVIEW_FILES} more files | | | | | |")
    return "\n".join(lines)
