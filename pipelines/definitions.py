"""The code location (`dagster dev -m pipelines.definitions`); JOURNEYS_DB and JOURNEYS_LANDING say where."""

from dagster import Definitions, in_process_executor, load_asset_checks_from_modules, load_assets_from_modules

from pipelines import assets, checks
from pipelines.jobs import nightly_journeys
from pipelines.resources import JourneysDatabase, LandingFolder
from pipelines.schedules import nightly
from pipelines.sensors import landing_files

defs = Definitions(
    assets=load_assets_from_modules([assets]),
    asset_checks=load_asset_checks_from_modules([checks]),
    jobs=[nightly_journeys],
    schedules=[nightly],
    sensors=[landing_files],
    resources={"database": JourneysDatabase.from_environment(), "landing": LandingFolder.from_environment()},
    # Steps of a run one after another in one process: DuckDB takes one writing process at a time.
    executor=in_process_executor,
)
