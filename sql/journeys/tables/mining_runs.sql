-- One row per definition: its latest mining run, the period it covered and how its events fared.
create table if not exists mining_runs (
    definition    varchar not null,
    mined_at      timestamptz not null,
    since         date,
    until         date,
    in_scope      bigint not null,
    out_of_scope  bigint not null,
    mapped        bigint not null,
    unmapped      bigint not null,
    persons       bigint not null,
    journeys      bigint not null,
    converted     bigint not null
)
