"""The code location (`dagster dev -m pipelines.definitions`): ingest and persons, then the assets of
each journey definition found in JOURNEYS_DEFINITIONS; JOURNEYS_DB, JOURNEYS_LANDING and JOURNEYS_OUT say
where the rest is."""

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules

from pipelines import assets, checks
from pipelines.jobs import nightly_journeys
from pipelines.mining_assets import mining_assets
from pipelines.resources import DefinitionsFolder, JourneysDatabase, LandingFolder, OutputFolder
from pipelines.schedules import nightly
from pipelines.sensors import landing_files


def code_location(folder: DefinitionsFolder) -> Definitions:
    """Everything Dagster loads, with the mined assets of every definition in `folder`.

    An invalid definition fails the load with its one-line `FILE:LINE: problem`, as `journeys mine`
    refuses it before any work: the nightly job never mines part of the definitions it was given.
    """
    journeys = folder.definitions()
    return Definitions(
        assets=[*load_assets_from_modules([assets]), *(a for journey in journeys for a in mining_assets(journey))],
        asset_checks=[*load_asset_checks_from_modules([checks]),
                      *(c for journey in journeys for c in checks.mining_checks(journey))],
        jobs=[nightly_journeys],
        schedules=[nightly],
        sensors=[landing_files],
        resources={"database": JourneysDatabase.from_environment(), "landing": LandingFolder.from_environment(),
                   "output": OutputFolder.from_environment()},
        # Steps of a run one after another in one process: DuckDB takes one writing process at a time.
        executor=in_process_executor,
    )


defs = code_location(DefinitionsFolder.from_environment())
