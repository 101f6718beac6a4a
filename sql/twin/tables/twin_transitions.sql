-- One row per transition of a definition's fitted chain: (start), touchpoints, (conversion) and (null).
create table if not exists twin_transitions (
    definition   varchar not null,
    source       varchar not null,
    target       varchar not null,
    transitions  bigint not null,
    probability  double not null
)
