"""Asset checks on the events table and on each definition's mined tables: thin wrappers over the
library's validators (journey_mining.checks)."""

from collections.abc import Callable
from dataclasses import dataclass

import duckdb
from dagster import AssetCheckResult, AssetChecksDefinition, AssetCheckSeverity, AssetKey, MetadataValue, asset_check

from journey_mining import checks
from journey_mining.definition import Definition
from pipelines.assets import events
from pipelines.resources import JourneysDatabase, dagster_name


@asset_check(asset=events, blocking=True)
def counts_reconcile(database: JourneysDatabase) -> AssetCheckResult:
    """Every row read is loaded, a duplicate or quarantined, and the tables hold exactly those rows.

    Blocking: persons built on rows nobody can account for would hide the loss downstream.
    """
    with database.loaded_tables() as con:
        return _result(checks.unreconciled_files(con), "files whose counts do not reconcile")


@asset_check(asset=events, blocking=True)
def unique_event_ids(database: JourneysDatabase) -> AssetCheckResult:
    """No (source, event_id) key is loaded twice.

    Blocking: a repeated event would count twice in every journey, funnel and KPI built on it.
    """
    with database.loaded_tables() as con:
        return _result(checks.duplicate_event_keys(con), "event keys loaded more than once")


@asset_check(asset=events)
def quarantine_share(database: JourneysDatabase) -> AssetCheckResult:
    """No loaded file has more than 5 % of its rows quarantined.

    A warning, not blocking: ingest already refuses such a file (the asset fails, nothing flows on);
    this shows a file someone loaded on purpose with a laxer threshold, which a rerun cannot undo.
    """
    with database.loaded_tables() as con:
        return _result(checks.files_over_quarantine_threshold(con), "files above the quarantine threshold",
                       severity=AssetCheckSeverity.WARN)


@dataclass(frozen=True)
class Law:
    """A law the mined numbers of a definition obey (docs/outputs.md), checked on one of its tables."""

    table: str
    name: str
    validator: Callable[[duckdb.DuckDBPyConnection, str], checks.Findings]
    found: str  # what the validator's findings are, in words
    description: str


# Blocking, every one: the exports are what analysts and BI tools read, and a number that breaks its
# own law (a bug, or a table edited by hand) must not reach them. The mined tables stay as they are,
# for the failed check to point at.
LAWS = (
    Law("transitions", "steps_in_equal_steps_out", checks.unbalanced_touchpoints,
        "touchpoints with unequal steps in and out",
        "Into every touchpoint as many steps lead as leave it, (start) and (end) edges counted."),
    Law("funnels", "funnels_never_widen", checks.rising_funnel_steps,
        "funnel steps with more persons than the step before",
        "No funnel step counts more persons than the step before it."),
    Law("stage_kpis", "drop_offs_add_up", checks.unreconciled_drop_offs,
        "stage drop-off totals unlike the journeys not converted",
        "The journeys dropped at the stages add up to the journeys that did not convert."),
    Law("variants", "shares_sum_to_one", checks.variant_shares_off_one,
        "variant share totals off 1",
        "The variants' shares of all journeys sum to 1 (within 1e-9) when there are journeys."),
    Law("deviations", "deviations_within_journeys", checks.deviations_above_journeys,
        "deviations taken by more journeys than there are",
        "No deviation is taken by more journeys than the definition has."),
    Law("attribution", "twin_converts_as_observed", checks.twin_conversion_off,
        "chains whose conversion is not the journeys' observed conversion rate",
        "The twin's chain, solved again from twin_transitions, converts exactly the share of journeys "
        "that converted (within 1e-9)."),
)


def mining_checks(definition: Definition) -> list[AssetChecksDefinition]:
    """The laws of the figures (docs/outputs.md) on the mined tables of `definition` (assets keyed [its Dagster
    name, table]), and the warning of its structure alerts."""
    return [*(_law_check(definition, law) for law in LAWS), _alerts_check(definition)]


def _alerts_check(definition: Definition) -> AssetChecksDefinition:
    @asset_check(asset=AssetKey([dagster_name(definition.name), "alerts"]), name="journeys_unchanged",
                 description="No structure alert: the journeys started in the latest window differ from those "
                             "of the window before in no variant, transition, stage drop-off, conformance, "
                             "funnel step or conversion (docs/outputs.md). A warning: the night's figures are "
                             "right, the journey changed.")
    def unchanged(database: JourneysDatabase) -> AssetCheckResult:
        with database.mined_tables(definition) as con:
            return _result(checks.structure_alerts(con, definition.name), "structure alerts",
                           severity=AssetCheckSeverity.WARN)

    return unchanged


def _law_check(definition: Definition, law: Law) -> AssetChecksDefinition:
    @asset_check(asset=AssetKey([dagster_name(definition.name), law.table]), name=law.name,
                 description=law.description, blocking=True)
    def holds(database: JourneysDatabase) -> AssetCheckResult:
        with database.mined_tables(definition) as con:
            return _result(law.validator(con, definition.name), law.found)

    return holds


def _result(findings: checks.Findings, what: str,
            severity: AssetCheckSeverity = AssetCheckSeverity.ERROR) -> AssetCheckResult:
    metadata = {what: findings.count}
    if findings.examples:
        metadata["examples"] = MetadataValue.md("\n".join(f"- {example}" for example in findings.examples))
    return AssetCheckResult(
        passed=findings.ok, severity=severity, metadata=metadata,
        description=None if findings.ok else f"{findings.count} {what}: {'; '.join(findings.examples[:3])}")
