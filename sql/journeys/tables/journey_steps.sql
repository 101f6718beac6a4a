-- One row per step of a journey's path, narrow: the journey's key (journeys.journey_key) and the
-- touchpoint's index in the definition (mined_touchpoints), so that the sums over everyone and the
-- exports read, sort and join integers. The view path_steps shows them with their names.
create table if not exists journey_steps (
    definition        varchar not null,
    journey_key       bigint not null,
    step              integer not null,
    touchpoint_index  smallint not null,
    step_at           timestamptz not null
)
