"""The nightly job: one landing day into events (with its checks), then persons, then every journey
definition mined, checked and exported."""

from dagster import AssetSelection, define_asset_job

from pipelines.assets import events
from pipelines.partitions import landing_days

# Everything built from the events, so the job follows the definitions folder without a change here.
# Selecting the assets brings their checks along, so a failing blocking check stops what is downstream.
# Persons and the mined assets are not partitioned: each run brings them up to date with all days loaded
# so far, working again only on the persons the new rows touch.
nightly_journeys = define_asset_job(
    "nightly_journeys",
    selection=AssetSelection.assets(events).downstream(),
    partitions_def=landing_days,
    description="Ingest one landing day (clickstream and CRM) into DuckDB, check it, update persons, "
                "then mine, check and export every journey definition.",
)
