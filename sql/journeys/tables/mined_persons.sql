-- One row per person with events in a definition's analysed period: how the person's events fared
-- against the definition (summed into mining_runs).
create table if not exists mined_persons (
    definition    varchar not null,
    person_id     varchar not null,
    in_scope      bigint not null,
    out_of_scope  bigint not null,
    mapped        bigint not null,
    unmapped      bigint not null
)
