"""The nightly benchmark as a smoke check: at a small size every stage runs and lands in the table it
writes; the conformance benchmark writes its section of the same report. No figure is asserted beyond
being positive (fitness and precision: in (0, 1]): timings belong in the report, not in tests."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "nightly.py"
STAGES = ("generate (Parquet)", "ingest", "identities (persons)", "mine", "conformance (counted per variant)",
          "export", "**end to end**", "floor: DuckDB sort by person, time", "DFG + variants, the mining's route",
          "DFG + variants, pm4py pandas", "token replay, pm4py raw traces", "incremental: base (setup)",
          "incremental night: ingest", "incremental night: identities", "incremental night: mine",
          "**incremental night**")


def stage_rows(markdown: str, heading: str) -> dict[str, list[str]]:
    """The stage table under `heading`: stage -> its other cells."""
    section = markdown.split(f"\n{heading}\n", 1)[1].split("\n## ", 1)[0]
    rows = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("| ") and cells[0] not in ("stage",) and not cells[0].startswith("---"):
            rows[cells[0]] = cells[1:]
    return rows


@pytest.mark.slow
def test_the_benchmark_runs_every_stage_at_a_small_size(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Conformance at scale\n\nwritten by benchmarks/conformance.py\n"
                   "\n## The twin's intervals\n\nwritten by benchmarks/twin.py\n")
    completed = subprocess.run(
        [sys.executable, str(SCRIPT), "--events", "20000", "--shapes", "default,many-variants",
         "--work", str(tmp_path / "work"), "--doc", str(doc)],
        capture_output=True, text=True, timeout=600)

    assert completed.returncode == 0, completed.stderr[-3000:]
    markdown = doc.read_text(encoding="utf-8")
    # each shape of generated data has its section with every stage, mined with its own definition
    for heading in ("## 20k events", "## 20k events, many-variants shape"):
        rows = stage_rows(markdown, heading)
        assert list(rows) == list(STAGES), heading
        for stage, (seconds, rate, peak_mib, *_) in rows.items():
            for figure in (seconds, rate, peak_mib):
                assert float(figure.replace(",", "")) > 0, (heading, stage, figure)
        # the pm4py comparison is of like with like: both sides found the same graph and variants
        assert "same result: yes" in rows["DFG + variants, pm4py pandas"][-1]
    assert "- Shape `many-variants`: definition `benchmarks/many_variants.yaml`" in markdown
    assert "| 20k many-variants |" in markdown.split("## pm4py side by side", 1)[1].split("\n## ", 1)[0]
    rows = stage_rows(markdown, "## 20k events")
    assert "## Machine and settings" in markdown and "cores (`nproc`)" in markdown
    # a size that was not run is said to be not measured, never given a verdict
    assert "100M events in under 5 minutes, peak under 8 GiB: not measured" in markdown
    # the incremental night is measured and given a verdict, whichever it is
    assert "## Incremental nightly run" in markdown
    assert ("costs under 10 % of a full rebuild: met." in markdown
            or "costs under 10 % of a full rebuild: not met." in markdown)
    assert "persons mined again" in markdown and "mined again" in rows["incremental night: mine"][-1]
    assert "| stage | seconds | events/s | peak RSS (MiB) |" in completed.stdout
    # the night's mine says where its time went: the touched persons, the sums over everyone, the twin
    figures = tmp_path / "work" / "results-20k.json"
    night_mine = next(stage for stage in json.loads(figures.read_text())["sizes"][0]["stages"]
                      if stage["stage"] == "night_mine")
    phases = night_mine["details"]["phases"]
    assert phases["persons mined"] > 0 and phases["over everyone"] > 0 and phases["twin"] > 0, phases
    assert sum(phases.values()) == pytest.approx(night_mine["seconds"]), phases
    # the figures of several runs make one report, which names each run
    merged = tmp_path / "merged.md"
    subprocess.run([sys.executable, str(SCRIPT), "--from-results", str(figures), str(figures), "--doc", str(merged)],
                   check=True, capture_output=True, timeout=60)
    assert merged.read_text(encoding="utf-8").count("\n- 20k: ") == 2
    # the landing data stays in the work folder for the next run; the database does not
    for landing in ("landing-20000-s7", "landing-many-variants-20000-s7"):
        assert (tmp_path / "work" / landing / "generated.json").is_file()
    assert not (tmp_path / "work" / "run-20000").exists() and not (tmp_path / "work" / "run-many-variants-20000").exists()
    # the sections benchmarks/conformance.py and benchmarks/twin.py write are carried over
    assert markdown.endswith("\n\n## Conformance at scale\n\nwritten by benchmarks/conformance.py\n"
                             "\n## The twin's intervals\n\nwritten by benchmarks/twin.py\n")
    # the mine stage says what the twin took
    assert ", the twin " in rows["mine"][-1]


@pytest.mark.slow
def test_the_conformance_benchmark_writes_its_section_once(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## Conformance at scale\n\nolder figures\n\n## Targets\n\nkept\n")
    command = [sys.executable, str(SCRIPT.with_name("conformance.py")), "--journeys", "500,2000", "--doc", str(doc)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)

    assert completed.returncode == 0, completed.stderr[-3000:]
    markdown = doc.read_text(encoding="utf-8")
    assert markdown.startswith("# Performance\n\n## Conformance at scale\n") and "older figures" not in markdown
    assert markdown.endswith("\n\n## Targets\n\nkept\n") and markdown.count("## Conformance at scale") == 1
    rows = [line.split(" | ") for line in markdown.splitlines() if line.startswith(("| 500 |", "| 2,000 |"))]
    assert len(rows) == 2 and all(0 < float(row[-2]) <= 1 and 0 < float(row[-1].strip(" |")) <= 1 for row in rows)


def test_the_twin_benchmark_counts_how_often_its_intervals_hold_the_truth(tmp_path):
    doc = tmp_path / "performance.md"
    doc.write_text("# Performance\n\n## The twin's intervals\n\nolder figures\n\n## Targets\n\nkept\n")
    command = [sys.executable, str(SCRIPT.with_name("twin.py")), "--seeds", "3", "--journeys", "300", "--doc", str(doc)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=600)

    assert completed.returncode == 0, completed.stderr[-3000:]
    markdown = doc.read_text(encoding="utf-8")
    assert "older figures" not in markdown and markdown.endswith("\n\n## Targets\n\nkept\n")
    rows = [line for line in markdown.splitlines() if line.startswith("| removal effect of T")]
    assert len(rows) == 5 and all(row.endswith(" of 3 |") for row in rows)
    assert "at least 90 of 100 seeds: not measured (fewer than 100 seeds)" in markdown
