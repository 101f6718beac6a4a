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


# Staged row: every input column as text (plus where the row came from and any native timestamp, see
# readers.STAGED_SCHEMA); sql/ingest/macros/ingest_typed.sql types them.
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

# The quarantine reasons the readers give (SPEC section 1, and a row holding JSON nested more than
# readers.MAX_NESTING levels deep); the others are given in sql/ingest/macros/ingest_typed.sql (which
# gives "nested too deep" too, for properties texts Python does not read) and
# sql/ingest/scratch/ingest_outcomes.sql.
REASON_MALFORMED = "malformed line"
REASON_NON_UTF8 = "non-UTF-8 bytes"
REASON_NESTED_TOO_DEEP = "nested too deep"
