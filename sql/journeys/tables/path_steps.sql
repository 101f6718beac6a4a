-- One row per step of a journey's path: the event log of the journeys (XES, process mining tools).
create table if not exists path_steps (
    definition  varchar not null,
    journey_id  varchar not null,
    step        bigint not null,
    touchpoint  varchar not null,
    stage       varchar not null,
    step_at     timestamptz not null
)
