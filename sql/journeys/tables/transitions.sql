-- One row per edge of a definition's directly-follows graph, (start) and (end) included.
create table if not exists transitions (
    definition   varchar not null,
    source       varchar not null,
    target       varchar not null,
    transitions  bigint not null,
    journeys     bigint not null,
    median_s     double,
    p90_s        double,
    kind         varchar not null
)
