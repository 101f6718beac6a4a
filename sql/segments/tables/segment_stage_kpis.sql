-- One row per segment value and stage of a definition: the stage KPIs of the value's journeys alone.
create table if not exists segment_stage_kpis (
    definition        varchar not null,
    segment           varchar not null,
    segment_order     integer not null,  -- the segment's place in the definition
    value             varchar not null,
    stage             varchar not null,
    stage_order       integer not null,
    journeys_reached  bigint not null,
    journeys_dropped  bigint not null,
    drop_off_rate     double
)
