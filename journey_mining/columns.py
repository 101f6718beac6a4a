"""The column-name contract shared by ingest, SQL and exports: input columns and stored columns."""

SOURCES = ("clickstream", "crm")

# Input columns per source, as SPEC section 1 names them (matched by name, case-sensitive).
IDENTITY_COLUMNS = {
    "clickstream": ("anonymous_id", "user_id"),
    "crm": ("customer_id", "user_id", "email"),
}
TEXT_COLUMNS = {
    "clickstream": ("event", "page_url", "referrer", "utm_source", "utm_medium", "utm_campaign"),
    "crm": ("object", "action", "channel"),
}
NUMBER_COLUMNS = {"clickstream": (), "crm": ("amount", "score")}
REQUIRED_COLUMNS = {"clickstream": ("event",), "crm": ("object", "action")}


def input_columns(source: str) -> tuple[str, ...]:
    """Every column of a source that is not folded into `properties`."""
    return (
        ("event_id",)
        + IDENTITY_COLUMNS[source]
        + ("timestamp",)
        + TEXT_COLUMNS[source]
        + NUMBER_COLUMNS[source]
        + ("properties",)
    )


# Staged row: every input column as text, plus where the row came from. Both readers (Python for
# JSON Lines/CSV, DuckDB for Parquet) produce exactly these columns; sql/stg_ingest_rows.sql types them.
STAGED_TEXT_COLUMNS = (
    "event_id",
    "anonymous_id",
    "user_id",
    "customer_id",
    "email",
    "timestamp",
    "event",
    "page_url",
    "referrer",
    "utm_source",
    "utm_medium",
    "utm_campaign",
    "object",
    "action",
    "channel",
    "amount",
    "score",
    "properties",
)
STAGED_COLUMNS = ("file_id", "line", "raw", "reject_reason") + STAGED_TEXT_COLUMNS + ("native_timestamp",)

# Identifier kinds in order of stability: a person's id is derived from the first of these.
IDENTIFIER_KINDS = ("customer_id", "user_id", "email_hash", "anonymous_id")

# Quarantine reasons (SPEC section 1), exactly as stored in quarantine.reason.
REASON_MALFORMED = "malformed line"
REASON_NON_UTF8 = "non-UTF-8 bytes"
REASON_MISSING_EVENT_ID = "missing event_id"
REASON_MISSING_TIMESTAMP = "missing timestamp"
REASON_BAD_TIMESTAMP = "unparseable timestamp"
REASON_NO_IDENTITY = "no identity"
REASON_MISSING_EVENT = "missing event"
REASON_MISSING_OBJECT = "missing object"
REASON_MISSING_ACTION = "missing action"
REASON_CONFLICT = "conflicting duplicate"
REASON_FAR_FUTURE = "far future"
