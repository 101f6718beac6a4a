-- One row per touchpoint of a definition.
create table if not exists touchpoint_kpis (
    definition  varchar not null,
    touchpoint  varchar not null,
    stage       varchar not null,
    events      bigint not null,
    journeys    bigint not null,
    exits       bigint not null,
    exit_rate   double,
    mean_score  double
)
