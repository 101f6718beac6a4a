-- One row per loaded event, from either source; (source, event_id) is unique.
create table if not exists events (
    source        varchar not null,
    event_id      varchar not null,
    anonymous_id  varchar,
    user_id       varchar,
    customer_id   varchar,
    email_hash    varchar,
    occurred_at   timestamptz not null,
    event         varchar,
    page_url      varchar,
    referrer      varchar,
    utm_source    varchar,
    utm_medium    varchar,
    utm_campaign  varchar,
    object        varchar,
    action        varchar,
    channel       varchar,
    amount        double,
    score         double,
    properties    json,
    file_id       integer not null,
    line          bigint not null
)
