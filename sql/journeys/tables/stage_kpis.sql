-- One row per stage of a definition.
create table if not exists stage_kpis (
    definition         varchar not null,
    stage              varchar not null,
    stage_order        integer not null,
    journeys_reached   bigint not null,
    journeys_dropped   bigint not null,
    drop_off_rate      double,
    median_s_to_reach  double
)
