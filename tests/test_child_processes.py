"""No child process outlives its time budget or its parent: a Graphviz that hangs, ignores SIGTERM and has
started a process of its own is killed with that process at the budget, for the journey map and for the
discovered model's diagram (whose run keeps the previous output folder as it was); a child the product
started dies when the product is killed. Real processes throughout; their ids come from the fake itself."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from journey_mining import db, definition, identity, ingest, process_model, report, run
from journey_mining.errors import JourneyError

pytestmark = pytest.mark.slow  # starts processes and waits out time budgets

REPOSITORY = Path(__file__).resolve().parent.parent
BUDGET_S = 2
MARGIN_S = 2  # starting the fake, killing, waiting; the work before the layout in the export test

DEFINITION = """\
name: hang
stages:
  - name: Look
    touchpoints:
      - {name: Ad, match: {event: ad_click}}
      - {name: Blog, match: {event: blog}}
  - name: Buy
    touchpoints:
      - {name: Order, match: {event: order}, goal: true}
"""


@pytest.fixture
def stuck_dot(tmp_path, monkeypatch) -> Path:
    """A `dot` first on PATH that ignores SIGTERM, starts a `sleep` of its own (which ignores it too), writes
    "<its pid> <the sleep's pid>" to the returned file and sleeps; afterwards nothing it started is left."""
    pids = tmp_path / "dot.pids"
    fake = tmp_path / "bin" / "dot"
    fake.parent.mkdir()
    fake.write_text(f"#!{sys.executable}\n"
                    "import os, signal, subprocess, time\n"
                    "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
                    "grandchild = subprocess.Popen(['sleep', '600'])\n"
                    f"with open({str(pids) + '.part'!r}, 'w') as out:\n"
                    "    out.write(f'{os.getpid()} {grandchild.pid}')\n"
                    f"os.rename({str(pids) + '.part'!r}, {str(pids)!r})\n"
                    "time.sleep(600)\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    yield pids
    if pids.exists():  # a failed test leaves no sleeper behind
        try:
            os.killpg(int(pids.read_text().split()[0]), signal.SIGKILL)
        except ProcessLookupError:
            pass


def python_env(**variables: str) -> dict[str, str]:
    """The environment of a Python started here, which imports this repository's journey_mining."""
    return {**os.environ, "PYTHONPATH": f"{REPOSITORY}{os.pathsep}{os.environ.get('PYTHONPATH', '')}", **variables}


def alive(pid: int) -> bool:
    """Whether the process runs (a zombie, dead and waiting to be reaped, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def ended(pids: list[int], within_s: float = 1.0) -> bool:
    """Whether all these processes have ended, waiting up to `within_s` (SIGKILL is delivered, not awaited)."""
    deadline = time.monotonic() + within_s
    while any(map(alive, pids)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.timeout(60)
def test_a_stuck_graphviz_and_its_own_child_are_killed_at_the_journey_maps_time_limit(stuck_dot, monkeypatch):
    monkeypatch.setattr(report, "DOT_TIMEOUT_S", BUDGET_S)

    started = time.monotonic()
    with pytest.raises(JourneyError, match="^Graphviz took longer than 2 s to lay out the journey map; it was "
                                           "stopped$"):
        report._layout("digraph { a -> b }")
    elapsed = time.monotonic() - started

    assert BUDGET_S <= elapsed < BUDGET_S + MARGIN_S
    dot, grandchild = map(int, stuck_dot.read_text().split())
    assert ended([dot, grandchild])


@pytest.mark.timeout(120)
def test_a_stuck_graphviz_is_killed_at_the_discovered_models_time_limit_and_the_last_output_stays(
        stuck_dot, tmp_path, monkeypatch):
    (tmp_path / "events.jsonl").write_text("".join(
        json.dumps({"event_id": f"e{n}", "anonymous_id": person, "event": event,
                    "timestamp": f"2026-09-01T{clock}:00Z"}) + "\n"
        for n, (person, event, clock) in enumerate([("a", "ad_click", "10:00"), ("a", "blog", "10:05"),
                                                    ("a", "order", "11:00"), ("b", "blog", "09:00")])))
    (tmp_path / "hang.yaml").write_text(DEFINITION)
    journey = definition.load(tmp_path / "hang.yaml")
    out = tmp_path / "out"
    con = db.connect(tmp_path / "journeys.duckdb")
    try:
        ingest.ingest(con, "clickstream", [tmp_path / "events.jsonl"])
        identity.build_persons(con)
        with_stuck_dot = os.environ["PATH"]
        monkeypatch.setenv("PATH", with_stuck_dot.split(os.pathsep, 1)[1])  # the real dot, for the last run
        run.mine_definition(con, journey, out)
        before = {path.name: path.read_bytes() for path in (out / "hang").iterdir()}
        assert "discovered_model.bpmn" in before
        monkeypatch.setenv("PATH", with_stuck_dot)
        monkeypatch.setattr(process_model, "DOT_TIMEOUT_S", BUDGET_S)

        started = time.monotonic()
        with pytest.raises(JourneyError, match="^Graphviz took longer than 2 s to lay out the discovered process "
                                               "model; it was stopped$"):
            run.export(con, journey, out)
        elapsed = time.monotonic() - started
    finally:
        con.close()

    assert BUDGET_S <= elapsed < BUDGET_S + MARGIN_S
    dot, grandchild = map(int, stuck_dot.read_text().split())
    assert ended([dot, grandchild])
    assert [path.name for path in out.iterdir()] == ["hang"]  # no half-written folder beside it
    assert {path.name: path.read_bytes() for path in (out / "hang").iterdir()} == before


@pytest.mark.timeout(60)
def test_a_child_started_by_the_product_dies_when_the_product_is_killed(stuck_dot):
    product = subprocess.Popen(
        [sys.executable, "-c", "from journey_mining import child_process\n"
                               "child_process.run_within(['dot'], '', 600, 'Graphviz', 'wait')\n"],
        env=python_env())
    try:
        deadline = time.monotonic() + 30
        while not stuck_dot.exists():
            assert product.poll() is None and time.monotonic() < deadline, "the fake dot did not start"
            time.sleep(0.05)
        dot, _ = map(int, stuck_dot.read_text().split())
        assert alive(dot)

        product.send_signal(signal.SIGKILL)
        product.wait()

        assert ended([dot])
    finally:
        product.kill()
        product.wait()


@pytest.mark.timeout(120)
def test_the_discovered_model_starts_no_process_but_graphviz_even_when_pm4py_is_told_to_pool(tmp_path):
    """PM4PY_ENABLE_MULTIPROCESSING_DEFAULT=true makes pm4py's inductive miner start a pool and its manager,
    children with no budget; the discovered model starts one process, Graphviz's dot. Forks counted in a
    Python of its own, so that the variable is read as pm4py is imported."""
    count_forks = ("import os, sys\n"
                   "from pathlib import Path\n"
                   "forks = []\n"
                   "os.register_at_fork(after_in_parent=lambda: forks.append(1))\n"
                   "from journey_mining import process_model\n"
                   "process_model.write_discovered_model([('(start)', 'Ad', 5), ('Ad', 'Pricing', 4), "
                   "('Pricing', 'Order', 3), ('Order', 'Ad', 1), ('Ad', '(end)', 1), ('Order', '(end)', 4)], "
                   "Path(sys.argv[1]))\n"
                   "print('forks', len(forks))\n")
    result = subprocess.run([sys.executable, "-c", count_forks, str(tmp_path)], capture_output=True, text=True,
                            timeout=100, env=python_env(PM4PY_ENABLE_MULTIPROCESSING_DEFAULT="true"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "forks 1"
    assert (tmp_path / "discovered_model.bpmn").exists()
