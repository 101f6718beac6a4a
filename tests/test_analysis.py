"""The analyst's tables (journey_mining.analysis) on six journeys worked out by hand, mined from a
landing folder of two days and both sources."""

import csv
from datetime import datetime, timedelta, timezone

import openpyxl
import pandas as pd
import pytest

from conftest import Landing
from journey_mining import analysis, db
from journey_mining.errors import UsageError

START = datetime(2026, 9, 1, tzinfo=timezone.utc)
# The first stage's name is one a spreadsheet would run as a formula.
DEFINITION = """\
name: tiny
stages:
  - name: "=cmd"
    touchpoints:
      - {name: Ad, match: {source: clickstream, event: ad_click}}
      - {name: Blog, match: {source: clickstream, event: blog}}
  - name: Consideration
    touchpoints:
      - {name: Pricing, match: {source: clickstream, event: pricing}}
  - name: Purchase
    touchpoints:
      - {name: Order, match: {source: crm, object: order, action: created}, goal: true}
allowed:
  - [Ad, Order]
"""
# person: [(minutes after START, touchpoint)]; each person's path is these touchpoints in order
#   a: Ad > Pricing > Order          converted, conforms
#   b: Blog > Pricing > Blog > Pricing  Pricing -> Blog backward; ends at Pricing
#   c: Pricing > Blog                (start) -> Pricing entry, Pricing -> Blog backward; ends at Blog
#   d: Blog > Order                  Blog -> Order skips Consideration; converted
#   e: Pricing                       entry; ends at Pricing
#   f: Ad                            conforms; ends at Ad
PEOPLE = {
    "a": [(0, "Ad"), (10, "Pricing"), (30, "Order")],
    "b": [(0, "Blog"), (5, "Pricing"), (6, "Blog"), (7, "Pricing")],
    "c": [(0, "Pricing"), (20, "Blog")],
    "d": [(0, "Blog"), (60, "Order")],
    "e": [(0, "Pricing")],
    "f": [(0, "Ad")],
}
EVENTS = {"Ad": {"event": "ad_click"}, "Blog": {"event": "blog"}, "Pricing": {"event": "pricing"},
          "Order": {"object": "order", "action": "created"}}


@pytest.fixture(scope="module")
def mined(tmp_path_factory):
    """Clickstream lands on 2026-09-02, the orders (CRM, linked by user id) on 2026-09-03; a folder not
    named as a day holds one more journey, which must not be loaded."""
    root = tmp_path_factory.mktemp("analysis")
    rows = {"clickstream": [], "crm": []}
    for person, steps in PEOPLE.items():
        for number, (minutes, touchpoint) in enumerate(steps):
            source = "crm" if touchpoint == "Order" else "clickstream"
            ids = {"customer_id": f"C-{person}"} if source == "crm" else {"anonymous_id": f"anon-{person}"}
            rows[source].append({"event_id": f"{person}-{number}", **ids, "user_id": person, **EVENTS[touchpoint],
                                 "timestamp": (START + timedelta(minutes=minutes)).isoformat()})
    landing = Landing(root / "landing")
    landing.jsonl("2026-09-02/clickstream/web.jsonl", rows["clickstream"])
    landing.jsonl("2026-09-03/crm/crm.jsonl", rows["crm"])
    landing.jsonl("latest/clickstream/web.jsonl", [{"event_id": "z-0", "anonymous_id": "anon-z", "event": "ad_click",
                                                    "timestamp": START.isoformat()}])
    (root / "tiny.yaml").write_text(DEFINITION)
    summaries = analysis.mine_landing(root / "landing", [root / "tiny.yaml"], root / "out", root / "journeys.duckdb")
    con = db.connect(root / "journeys.duckdb", read_only=True)
    yield root, summaries, con
    con.close()


def rows(frame: pd.DataFrame) -> list[tuple]:
    """The frame's rows as tuples, missing values as None."""
    return [tuple(None if pd.isna(value) else value for value in row)
            for row in frame.itertuples(index=False, name=None)]


def test_mine_landing_loads_the_day_folders_oldest_first_and_mines_each_definition(mined):
    root, summaries, _ = mined
    assert list(summaries) == ["tiny"]
    summary = summaries["tiny"]
    # 13 events of 6 persons (a and d's orders joined to their web visits by user id); z not loaded
    assert [f["path"] for f in summary["files"]] == [str(root / "landing/2026-09-02/clickstream/web.jsonl"),
                                                    str(root / "landing/2026-09-03/crm/crm.jsonl")]
    assert (summary["events"]["loaded"], summary["persons"], summary["journeys"], summary["converted"]) == (13, 6, 6, 2)
    assert (root / "out/tiny/stage_kpis.csv").is_file() and (root / "out/tiny/summary.json").is_file()


def test_assumed_vs_observed_lists_every_edge_taken_then_the_assumed_ones_nobody_took(mined):
    _, _, con = mined
    comparison = analysis.assumed_vs_observed(con, "tiny")
    assert list(comparison.columns) == ["source", "target", "source_stage", "target_stage", "assumed", "kind",
                                        "transitions", "journeys", "share"]
    # Assumed: Ad <-> Blog (same stage), Ad/Blog -> Pricing, Pricing -> Order, Ad -> Order (allowed).
    # Ad -> Blog, Blog -> Ad and Ad -> Order were not taken. b takes Blog -> Pricing twice.
    # Order: transitions desc, then source and target in code points ("(" before letters).
    assert rows(comparison) == [
        ("(start)", "Ad", None, "=cmd", False, "expected", 2, 2, 2 / 6),
        ("(start)", "Blog", None, "=cmd", False, "expected", 2, 2, 2 / 6),
        ("(start)", "Pricing", None, "Consideration", False, "entry", 2, 2, 2 / 6),
        ("Blog", "Pricing", "=cmd", "Consideration", True, "expected", 2, 1, 1 / 6),
        ("Order", "(end)", "Purchase", None, False, "expected", 2, 2, 2 / 6),
        ("Pricing", "(end)", "Consideration", None, False, "expected", 2, 2, 2 / 6),
        ("Pricing", "Blog", "Consideration", "=cmd", False, "backward", 2, 2, 2 / 6),
        ("Ad", "(end)", "=cmd", None, False, "expected", 1, 1, 1 / 6),
        ("Ad", "Pricing", "=cmd", "Consideration", True, "expected", 1, 1, 1 / 6),
        ("Blog", "(end)", "=cmd", None, False, "expected", 1, 1, 1 / 6),
        ("Blog", "Order", "=cmd", "Purchase", False, "skip", 1, 1, 1 / 6),
        ("Pricing", "Order", "Consideration", "Purchase", True, "expected", 1, 1, 1 / 6),
        ("Ad", "Blog", "=cmd", "=cmd", True, "not_taken", 0, 0, 0.0),
        ("Ad", "Order", "=cmd", "Purchase", True, "not_taken", 0, 0, 0.0),
        ("Blog", "Ad", "=cmd", "=cmd", True, "not_taken", 0, 0, 0.0),
    ]


def test_pain_points_are_the_touchpoints_where_unconverted_journeys_end(mined):
    _, _, con = mined
    # b, c, e and f did not convert: b and e end at Pricing, c at Blog, f at Ad. Pricing is in the paths
    # of a, b, c and e; Blog of b, c and d; Ad of a and f. Ad and Blog tie: by name.
    assert rows(analysis.pain_points(con, "tiny")) == [
        ("Pricing", "Consideration", 2, 2 / 4, 4, 2 / 4, None),
        ("Ad", "=cmd", 1, 1 / 4, 2, 1 / 2, None),
        ("Blog", "=cmd", 1, 1 / 4, 3, 1 / 3, None),
    ]
    assert list(analysis.pain_points(con, "tiny", top=1).touchpoint) == ["Pricing"]


def test_mined_table_gives_an_exported_table_and_refuses_others(mined):
    _, _, con = mined
    # a and f conform; b and c go backward, c and e enter mid-journey, d skips
    assert rows(analysis.mined_table(con, "tiny", "conformance"))[0][:4] == ("tiny", 6, 2, 2 / 6)
    with pytest.raises(UsageError, match="unknown table 'journeys'"):
        analysis.mined_table(con, "tiny", "journeys")


# Stage KPIs by hand. Reached: =cmd by a, b, c, d, f; Consideration by a, b, c, e; Purchase by a, d.
# Dropped (not converted, furthest stage): f at =cmd; b, c, e at Consideration.
# Seconds from the first step to the stage: =cmd 0, 0, 1200 (c), 0, 0 -> median 0;
# Consideration 600 (a), 300 (b), 0, 0 -> median 150; Purchase 1800 (a), 3600 (d) -> median 2700.
STAGE_KPIS = [
    ["definition", "stage", "stage_order", "journeys_reached", "journeys_dropped", "drop_off_rate",
     "median_s_to_reach"],
    ["tiny", "'=cmd", 0, 5, 1, 0.2, 0],
    ["tiny", "Consideration", 1, 4, 3, 0.75, 150],
    ["tiny", "Purchase", 2, 2, 0, 0, 2700],
]


def test_export_stage_kpis_writes_the_same_numbers_to_csv_and_excel_with_formulas_quoted(mined, tmp_path):
    _, _, con = mined
    csv_path, xlsx_path = analysis.export_stage_kpis(con, "tiny", tmp_path / "sheets")
    assert (csv_path, xlsx_path) == (tmp_path / "sheets/stage_kpis.csv", tmp_path / "sheets/stage_kpis.xlsx")
    with open(csv_path, newline="", encoding="utf-8") as handle:
        written = list(csv.reader(handle))
    assert written[0] == STAGE_KPIS[0]
    assert [[row[0], row[1], *map(float, row[2:])] for row in written[1:]] == STAGE_KPIS[1:]
    sheet = openpyxl.load_workbook(xlsx_path)["stage_kpis"]
    assert [list(row) for row in sheet.iter_rows(values_only=True)] == STAGE_KPIS
    assert sheet["B2"].data_type == "s"  # text, not a formula
