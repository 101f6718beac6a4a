"""Comparisons of two groups of journeys, and the nightly structure alerts (SPEC section 10).

One engine answers three questions: what changed since the window before (the alerts of every mining
run), how the journeys of one segment value differ from the rest, and how two periods differ
(`journeys compare`). SQL puts the journeys compared in groups (a table of journey_key and grp per way of
comparing, made by the phase of sql/comparisons/order.txt named after it: GROUPINGS); here their path
steps are counted into items, each a proportion x / n per group:

- `variant`: the journeys with that path, of all journeys;
- `transition`: the journeys that take source → target at least once, of all journeys ((start) and
  (end) included);
- `stage`: the journeys that dropped at the stage, of those that reached it (its drop-off rate);
- `conformance`: the journeys that conform, of all journeys;
- `funnel_step`: the persons that reached step k of a funnel, of those that reached step k - 1, counted
  with the journey their first funnel step falls in;
- `conversion`: the journeys that converted, of all journeys.

Two groups are compared item by item: the pooled two-proportion z-test (two-sided), or Fisher's exact
test when an expected cell of the 2 × 2 table is under 5; Benjamini–Hochberg over all items tested. A
difference has q < 0.05, a change of at least 0.5 percentage points and at least 30 in x over both
groups. Alerts read each journey as it stood `horizon` days after its start: only its steps until then
(the start plus the horizon included), converted only when its goal step is among them.
"""

from datetime import date
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import scipy.sparse as sparse
from scipy import stats

from journey_mining import paths, sql
from journey_mining.definition import PATH_JOIN, Definition
from journey_mining.errors import UsageError, did_you_mean
from journey_mining.exports import spreadsheet_safe

ITEM_KINDS = ("variant", "transition", "stage", "conformance", "funnel_step", "conversion")
# item kinds counted over all journeys of a group: an item a group lacks is 0 of them
OVER_JOURNEYS = ("variant", "transition", "conformance", "conversion")
SIGNIFICANCE = 0.05      # Benjamini–Hochberg's q
MIN_CHANGE = 0.005       # in share: half a percentage point
MIN_COUNT = 30           # x over both groups
NEW_SHARE = 0.01         # a variant or transition at least this share on one side, none on the other
FISHER_BELOW = 5         # the smallest expected cell under which Fisher's exact test is used
DAY_US = 86_400 * 1_000_000
# The tables that put journeys in groups, each made by the phase of sql/comparisons/order.txt of its name.
GROUPINGS = ("alert_windows", "trend_weeks", "period_journeys", "segment_journeys", "population_journeys")
COLUMNS = ("item_kind", "item", "previous_x", "previous_n", "previous_share", "current_x", "current_n",
           "current_share", "change", "p_value", "q_value", "kind")
ALERT_SCHEMA = pa.schema([(c, pa.int64() if c.endswith(("_x", "_n")) else pa.string() if c in ("item_kind", "item", "kind")
                           else pa.float64()) for c in COLUMNS] + [("alert_order", pa.int64())])
TREND_SCHEMA = pa.schema([("week", pa.date32()), ("item_kind", pa.string()), ("item", pa.string()), ("x", pa.int64()),
                          ("n", pa.int64()), ("share", pa.float64()), ("trend_order", pa.int64())])


def grouped(con: duckdb.DuckDBPyConnection, grouping: str, values: dict) -> None:
    """Put the definition's journeys in groups: make the table `grouping` (one of GROUPINGS) with `values`."""
    sql.run_steps(con, "comparisons", values, phase=grouping)


def groups_fragment(grouping: str) -> dict[str, str]:
    """The `{{groups}}` fragment naming the table of `grouping`: a name from GROUPINGS only."""
    return {"groups": GROUPINGS[GROUPINGS.index(grouping)]}


def counts(con: duckdb.DuckDBPyConnection, definition: Definition, grouping: str,
           horizon_days: int | None) -> pd.DataFrame:
    """Per group of the table `grouping` and item: `x` and `n` (columns group, item_kind, item, x, n). With
    `horizon_days`, each journey as it stood that many days after its start."""
    fragments = groups_fragment(grouping)
    journeys = [journey_items(definition, *(steps.column(c).to_numpy() for c in (
                    "grp", "journey_key", "touchpoint_index", "t", "start_t")), horizon_days=horizon_days)
                for _, steps in sql.groups(con, "comparisons/compared_steps", {"definition": definition.name},
                                           fragments=fragments)]  # a group's steps in memory at a time
    return pd.concat([*journeys, _funnel_steps(con, definition, fragments, horizon_days)], ignore_index=True)


def journey_items(definition: Definition, group: np.ndarray, journey_key: np.ndarray, touchpoint: np.ndarray,
                  at: np.ndarray, start: np.ndarray, *, horizon_days: int | None = None) -> pd.DataFrame:
    """The items over journeys (all but funnel steps) per group, from path steps in group, journey and step
    order: each step's group, journey key, touchpoint index, time and its journey's start (microseconds).
    Each item is an integer code, and a group's journeys having it one sparse product, never a group-by on text."""
    keys, touchpoint = journey_key, touchpoint.astype(np.int64)
    if horizon_days is not None and not (kept := at <= start + horizon_days * DAY_US).all():
        keys, at, group, touchpoint = keys[kept], at[kept], group[kept], touchpoint[kept]
    new_journey = np.r_[True, (keys[1:] != keys[:-1]) | (group[1:] != group[:-1])] if len(keys) else np.zeros(0, bool)
    journey, first = np.cumsum(new_journey) - 1, np.flatnonzero(new_journey)
    groups, group_of = np.unique(group[first], return_inverse=True)  # group_of: per journey, an index into groups
    member = sparse.csr_matrix((np.ones(len(first)), (group_of, np.arange(len(first)))), shape=(len(groups), len(first)))
    journeys = np.bincount(group_of, minlength=len(groups))
    converted = np.logical_or.reduceat(paths.goal_of(definition)[touchpoint], first) if len(first) else new_journey
    moves = paths.transitions(journey, touchpoint, at, definition)

    def having(kind: str, of_journey: np.ndarray, code: np.ndarray, names: np.ndarray) -> pd.DataFrame:
        """Per group and item present: x, the group's journeys with at least one row of that item's code."""
        has = sparse.csr_matrix((np.ones(len(code)), (of_journey, code)), shape=(len(first), len(names)))
        has.sum_duplicates()
        has.data[:] = 1
        x = (member @ has).tocoo()
        return pd.DataFrame({"group": groups[x.row], "item_kind": kind, "item": names[x.col],
                             "x": x.data.astype(np.int64), "n": journeys[x.row]})

    names = [t.name for t in definition.touchpoints]
    variant = paths.coded_texts(np.r_[first, len(touchpoint)], touchpoint, names)
    edge_names = np.add.outer(np.array(["(start)", *names], object) + PATH_JOIN, np.array(["(end)", *names], object))
    parts = [having("variant", np.arange(len(first)), variant.indices.to_numpy(),
                    variant.dictionary.to_numpy(zero_copy_only=False)),
             having("transition", moves.journey, paths.edge_codes(moves, len(names)), edge_names.ravel()),
             _stages(definition, journey, touchpoint, first, converted, groups, member)]
    parts += [pd.DataFrame({"group": groups, "item_kind": kind, "item": "",
                            "x": np.bincount(group_of[flag], minlength=len(groups)), "n": journeys})
              for kind, flag in (("conformance", paths.conforming(len(first), moves)), ("conversion", converted))]
    return pd.concat(parts, ignore_index=True)


def _stages(definition: Definition, journey: np.ndarray, touchpoint: np.ndarray, first: np.ndarray,
            converted: np.ndarray, groups: np.ndarray, member: sparse.csr_matrix) -> pd.DataFrame:
    """Per group (`member`: groups × journeys) and stage: the journeys that dropped there (x) of those that
    reached it (n); every stage."""
    count = len(definition.stages)
    stage = paths.stage_of(definition)[touchpoint].astype(np.int64)
    reached = sparse.csr_matrix((np.ones(len(stage)), (journey, stage)), shape=(len(first), count))
    reached.sum_duplicates()
    reached.data[:] = 1
    furthest = np.maximum.reduceat(stage, first) if len(first) else stage
    dropped = sparse.csr_matrix((np.ones(int((~converted).sum())), (np.flatnonzero(~converted), furthest[~converted])),
                                shape=(len(first), count))
    n, x = ((member @ table).toarray().astype(np.int64) for table in (reached, dropped))
    stage_names = np.array([s.name for s in definition.stages], object)
    return pd.DataFrame({"group": np.repeat(groups, count), "item_kind": "stage",
                         "item": np.tile(stage_names, len(groups)), "x": x.ravel(), "n": n.ravel()})


def _funnel_steps(con: duckdb.DuckDBPyConnection, definition: Definition, fragments: dict[str, str],
                  horizon_days: int | None) -> pd.DataFrame:
    persons = sql.arrow(con, "comparisons/compared_funnel_persons", {"definition": definition.name},
                        fragments=fragments)
    times = persons.column("step_times").combine_chunks()
    offsets, flat = times.offsets.to_numpy(), times.flatten().to_numpy()
    reached = np.diff(offsets)  # every person here reached step 1 (its time found their journey)
    if horizon_days is not None and len(reached):  # only the steps within the horizon of the first
        within = flat <= np.repeat(flat[offsets[:-1]], reached) + horizon_days * DAY_US
        reached = np.add.reduceat(within, offsets[:-1])
    rows = pd.DataFrame({"group": persons.column("grp").to_numpy(),
                         "funnel": persons.column("funnel").to_numpy(zero_copy_only=False), "reached": reached})
    groups = sorted(set(rows["group"]))
    parts = []
    for funnel in definition.funnels:
        of_funnel = rows[rows["funnel"] == funnel.name]
        for step in range(2, len(funnel.steps) + 1):
            at_least = of_funnel.assign(x=of_funnel["reached"] >= step, n=of_funnel["reached"] >= step - 1)
            sums = at_least.groupby("group")[["x", "n"]].sum().reindex(groups, fill_value=0)
            parts.append(sums.reset_index().assign(item_kind="funnel_step", item=f"{funnel.name}: step {step}"))
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=["group", "item_kind", "item", "x", "n"])


def compare(counted: pd.DataFrame) -> pd.DataFrame:
    """Group 0 (previous) against group 1 (current), item by item: the columns of alerts.csv (COLUMNS),
    differences first (smallest q first), then every other item; `kind` is empty for an item that is not
    a difference."""
    journeys = counted[counted["item_kind"] == "conversion"].set_index("group")["n"]
    sides = {}
    for group, side in ((0, "previous"), (1, "current")):
        rows = counted[counted["group"] == group].set_index(["item_kind", "item"])[["x", "n"]]
        sides[side] = rows.add_prefix(f"{side}_")
    table = sides["previous"].join(sides["current"], how="outer").reset_index()
    for group, side in ((0, "previous"), (1, "current")):  # an item a group lacks: 0 of its journeys
        over_journeys = table["item_kind"].isin(OVER_JOURNEYS)
        table[f"{side}_x"] = table[f"{side}_x"].fillna(0).astype(np.int64)
        table[f"{side}_n"] = table[f"{side}_n"].where(~over_journeys | table[f"{side}_n"].notna(),
                                                      journeys.get(group, 0)).fillna(0).astype(np.int64)
        table[f"{side}_share"] = table[f"{side}_x"] / table[f"{side}_n"].where(table[f"{side}_n"] > 0)
    table["change"] = table["current_share"] - table["previous_share"]
    table["p_value"] = p_values(*(table[c].to_numpy() for c in ("previous_x", "previous_n", "current_x", "current_n")))
    tested = table["p_value"].notna()
    table["q_value"] = np.nan
    if tested.any():
        table.loc[tested, "q_value"] = stats.false_discovery_control(table.loc[tested, "p_value"], method="bh")
    table["kind"] = kinds(table)
    table["order"] = table["item_kind"].map({kind: i for i, kind in enumerate(ITEM_KINDS)})
    table = table.sort_values(["kind", "q_value", "order", "item"], na_position="last",
                              key=lambda c: c.isna() if c.name == "kind" else c)
    return table[list(COLUMNS)].reset_index(drop=True)


def p_values(x1: np.ndarray, n1: np.ndarray, x2: np.ndarray, n2: np.ndarray) -> np.ndarray:
    """Two-sided p-values of x1/n1 against x2/n2: the pooled z-test, or Fisher's exact test when an
    expected cell of the 2 × 2 table is under FISHER_BELOW; NaN when a side has no one (n = 0)."""
    x1, n1, x2, n2 = (np.asarray(a, np.int64) for a in (x1, n1, x2, n2))
    total, hits = n1 + n2, x1 + x2
    with np.errstate(divide="ignore", invalid="ignore"):
        smallest_expected = np.minimum(n1, n2) * np.minimum(hits, total - hits) / total
        pooled = hits / total
        z = (x2 / n2 - x1 / n1) / np.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
        p = 2 * stats.norm.sf(np.abs(z))
    testable = (n1 > 0) & (n2 > 0)
    fisher = testable & (smallest_expected < FISHER_BELOW)
    tables = np.stack([x1, n1 - x1, x2, n2 - x2], axis=1)[fisher]
    unique, inverse = np.unique(tables, axis=0, return_inverse=True)  # many small items share a table
    exact = np.array([stats.fisher_exact(t.reshape(2, 2)).pvalue for t in unique])
    p[fisher] = exact[inverse.ravel()] if len(unique) else p[fisher]
    p[~testable] = np.nan
    return p


def kinds(table: pd.DataFrame) -> pd.Series:
    """Per item: new, vanished, increase or decrease when it is a difference, else empty."""
    difference = ((table["q_value"] < SIGNIFICANCE) & (table["change"].abs() >= MIN_CHANGE)
                  & (table["previous_x"] + table["current_x"] >= MIN_COUNT))
    appears = table["item_kind"].isin(("variant", "transition"))
    kind = np.select(
        [appears & (table["previous_x"] == 0) & (table["current_share"] >= NEW_SHARE),
         appears & (table["current_x"] == 0) & (table["previous_share"] >= NEW_SHARE),
         table["change"] > 0],
        ["new", "vanished", "increase"], "decrease")
    return pd.Series(np.where(difference, kind, None), index=table.index, dtype=object)


def latest_event_day(con: duckdb.DuckDBPyConnection) -> int | None:
    """T of the alerts and trends: the UTC day of the latest loaded event, as days since 1970-01-01."""
    return sql.run(con, "comparisons/latest_event_day")[0][0]


def alerts(con: duckdb.DuckDBPyConnection, definition: Definition, latest_day: int | None) -> pd.DataFrame:
    """The nightly alerts: the latest window's journeys against the window before, each read as it stood
    `alerts.horizon` after its start, the windows ending `alerts.horizon` before `latest_day`
    (latest_event_day); only the differences."""
    window, horizon = definition.alerts.window_days, definition.alerts.horizon_days
    grouped(con, "alert_windows", {"definition": definition.name, "horizon_days": horizon, "window_days": window,
                                   "latest_day": latest_day})
    compared = compare(counts(con, definition, "alert_windows", horizon))
    return compared[compared["kind"].notna()].reset_index(drop=True)


def trends(con: duckdb.DuckDBPyConnection, definition: Definition, latest_day: int | None) -> pd.DataFrame:
    """Per start week (its Monday) and item: x, n and share of the journeys started that week, each read as
    alerts read it; variants and transitions only in the weeks that have them."""
    horizon = definition.alerts.horizon_days
    grouped(con, "trend_weeks", {"definition": definition.name, "horizon_days": horizon, "latest_day": latest_day})
    counted = counts(con, definition, "trend_weeks", horizon)
    counted["week"] = pd.to_datetime(counted["group"], unit="D").dt.date
    counted["share"] = counted["x"] / counted["n"].where(counted["n"] > 0)
    counted["order"] = counted["item_kind"].map({kind: i for i, kind in enumerate(ITEM_KINDS)})
    counted = counted.sort_values(["week", "order", "item"])
    return counted[["week", "item_kind", "item", "x", "n", "share"]].reset_index(drop=True)


def between_periods(con: duckdb.DuckDBPyConnection, definition: Definition,
                    first: tuple[date, date], second: tuple[date, date]) -> pd.DataFrame:
    """The journeys started in the second period against those started in the first (UTC days, ends
    included), each as mined."""
    for since, until in (first, second):
        if since > until:
            raise UsageError(f"period {since}..{until} ends before it starts")
    if first[0] <= second[1] and second[0] <= first[1]:
        raise UsageError(f"periods {first[0]}..{first[1]} and {second[0]}..{second[1]} overlap")
    grouped(con, "period_journeys", {"definition": definition.name, "first_since": first[0], "first_until": first[1],
                                     "second_since": second[0], "second_until": second[1]})
    return compare(counts(con, definition, "period_journeys", None))


def segment_value(con: duckdb.DuckDBPyConnection, definition: Definition, segment: str, value: str) -> pd.DataFrame:
    """The journeys with `value` of `segment` against the rest, each as mined."""
    names = [s.name for s in definition.segments]
    if segment not in names:
        raise UsageError(f"{definition.path}: no segment {segment!r} in {definition.name!r}"
                         + (did_you_mean(segment, names) or f" (its segments: {', '.join(names) or 'none'})"))
    sql.run(con, "segments/scratch/journey_segment_values", {"definition": definition.name})
    grouped(con, "segment_journeys", {"segment": segment, "value": value})
    if not sql.one(con, "select exists (select 1 from segment_journeys where grp = 1)")[0]:
        raise UsageError(f"no journey of {definition.name!r} has {segment}={value} (see segments.csv for the values)")
    return compare(counts(con, definition, "segment_journeys", None))


def write_comparison(path: Path, definition: str, compared: pd.DataFrame) -> None:
    """comparison.csv: the columns of alerts.csv, differences first, then every other item."""
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = pa.Table.from_pandas(compared.assign(alert_order=0), schema=ALERT_SCHEMA, preserve_index=False)
    rows = rows.drop_columns("alert_order").add_column(0, "definition", pa.array([definition] * len(rows), pa.string()))
    pa_csv.write_csv(spreadsheet_safe(rows), path)


def differences_text(differences: pd.DataFrame, top: int = 20) -> str:
    """The terminal's table of the surest differences: item, both shares, the change and q."""
    lines = []
    for row in differences.head(top).itertuples():
        item = f"{row.item_kind} {row.item}".strip()
        lines.append(f"  {row.kind:<9} {item[:70]:<70}  {100 * row.previous_share:6.2f} % -> "
                     f"{100 * row.current_share:6.2f} %  ({100 * row.change:+.2f} pp, q {row.q_value:.2g})")
    if len(differences) > top:
        lines.append(f"  … and {len(differences) - top:,} more in the file")
    return "\n".join(lines) + ("\n" if lines else "")
