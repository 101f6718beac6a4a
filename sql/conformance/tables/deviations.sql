-- One row per deviation (skip, backward, entry) taken, or assumed transition not taken.
create table if not exists deviations (
    definition  varchar not null,
    source      varchar not null,
    target      varchar not null,
    kind        varchar not null,
    journeys    bigint not null,
    share       double
)
