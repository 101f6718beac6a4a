"""Asset checks on the events table: thin wrappers over the library's validators (journey_mining.checks)."""

from dagster import AssetCheckResult, AssetCheckSeverity, MetadataValue, asset_check

from journey_mining import checks
from pipelines.assets import events
from pipelines.resources import JourneysDatabase


@asset_check(asset=events, blocking=True)
def counts_reconcile(database: JourneysDatabase) -> AssetCheckResult:
    """Every row read is loaded, a duplicate or quarantined, and the tables hold exactly those rows.

    Blocking: persons built on rows nobody can account for would hide the loss downstream.
    """
    with database.connection(read_only=True) as con:
        return _result(checks.unreconciled_files(con), "files whose counts do not reconcile")


@asset_check(asset=events, blocking=True)
def unique_event_ids(database: JourneysDatabase) -> AssetCheckResult:
    """No (source, event_id) key is loaded twice.

    Blocking: a repeated event would count twice in every journey, funnel and KPI built on it.
    """
    with database.connection(read_only=True) as con:
        return _result(checks.duplicate_event_keys(con), "event keys loaded more than once")


@asset_check(asset=events)
def quarantine_share(database: JourneysDatabase) -> AssetCheckResult:
    """No loaded file has more than 5 % of its rows quarantined.

    A warning, not blocking: ingest already refuses such a file (the asset fails, nothing flows on);
    this shows a file someone loaded on purpose with a laxer threshold, which a rerun cannot undo.
    """
    with database.connection(read_only=True) as con:
        return _result(checks.files_over_quarantine_threshold(con), "files above the quarantine threshold",
                       severity=AssetCheckSeverity.WARN)


def _result(findings: checks.Findings, what: str,
            severity: AssetCheckSeverity = AssetCheckSeverity.ERROR) -> AssetCheckResult:
    metadata = {what: findings.count}
    if findings.examples:
        metadata["examples"] = MetadataValue.md("\n".join(f"- {example}" for example in findings.examples))
    return AssetCheckResult(
        passed=findings.ok, severity=severity, metadata=metadata,
        description=None if findings.ok else f"{findings.count} {what}: {'; '.join(findings.examples[:3])}")
