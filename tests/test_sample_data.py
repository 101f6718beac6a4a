"""The nightly Dagster job on the bundled sample data: every file's counts equal what the generator
knows it put in (overlaps, duplicates and each kind of bad row), an independent route to the figures;
the job mines the bundled definitions too, and every law check on them passes."""

from pathlib import Path

import pytest
from dagster import DagsterInstance

from journey_mining import db
from journey_samples import generate
from pipelines.definitions import defs
from pipelines.jobs import nightly_journeys
from pipelines.resources import BUNDLED_LANDING, JourneysDatabase, LandingFolder, OutputFolder

pytestmark = pytest.mark.slow


def test_the_nightly_job_loads_the_bundled_samples_as_the_generator_expects(tmp_path):
    # the bundled samples are `journeys generate --persons 3000 --seed 7`; test_generate checks that
    # regenerating them is byte-identical, so this report describes the bundled files
    expected = generate(tmp_path / "regenerated", 3000, seed=7)
    database = JourneysDatabase(path=str(tmp_path / "journeys.duckdb"))
    landing = LandingFolder(path=str(BUNDLED_LANDING))
    job = defs.resolve_job_def(nightly_journeys.name)
    with DagsterInstance.ephemeral() as instance:
        for day in landing.days():
            result = job.execute_in_process(
                instance=instance, partition_key=day,
                resources={"database": database, "landing": landing, "output": OutputFolder(path=str(tmp_path / "out"))})
            assert result.success, day
            assert all(evaluation.passed for evaluation in result.get_asset_check_evaluations()), day

    con = db.connect(database.path, read_only=True)
    loaded = {Path(path).relative_to(BUNDLED_LANDING).as_posix(): counts for path, *counts in con.execute(
        'select path, "read", loaded, duplicates, quarantined from ingested_files').fetchall()}
    assert loaded == {report.path: [report.rows, report.loaded, report.duplicates, report.quarantined]
                      for report in expected.files}
    (persons,) = con.execute("select count(*) from persons").fetchone()
    (oversize,) = con.execute("select count(*) from oversize_components").fetchone()
    con.close()
    # devices never logged in stay persons of their own; one store tablet per 100,000 persons is shared
    assert persons > 3000 and oversize == 1
