"""The nightly job: one landing day into events (with its checks), then persons."""

from dagster import AssetSelection, define_asset_job

from pipelines.assets import events, persons
from pipelines.partitions import landing_days

# Selecting the assets brings their checks along, so a failing blocking check stops persons.
nightly_journeys = define_asset_job(
    "nightly_journeys",
    selection=AssetSelection.assets(events, persons),
    partitions_def=landing_days,
    description="Ingest one landing day (clickstream and CRM) into DuckDB, check it, rebuild persons.",
)
