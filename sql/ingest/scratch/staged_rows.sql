-- One row per input row the readers staged in the current ingest run, every column still text (Parquet
-- that DuckDB reads itself is not copied here: see staged_with_parquet). native_amount and
-- native_score are only set for that Parquet.
create or replace temp table staged_rows (
    file_id           integer,
    line              bigint,
    raw               varchar,
    reject_reason     varchar,
    event_id          varchar,
    anonymous_id      varchar,
    user_id           varchar,
    customer_id       varchar,
    email             varchar,
    "timestamp"       varchar,
    event             varchar,
    page_url          varchar,
    referrer          varchar,
    utm_source        varchar,
    utm_medium        varchar,
    utm_campaign      varchar,
    object            varchar,
    action            varchar,
    channel           varchar,
    amount            varchar,
    score             varchar,
    properties        varchar,
    native_timestamp  timestamptz,
    native_local      timestamp,
    native_amount     double,
    native_score      double
)
