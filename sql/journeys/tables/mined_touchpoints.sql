-- One row per touchpoint of a definition as its latest mining run read it: its index (the
-- touchpoint_index of journey_steps and journey_touchpoints), name and stage.
create table if not exists mined_touchpoints (
    definition        varchar not null,
    touchpoint_index  smallint not null,
    touchpoint        varchar not null,
    stage             varchar not null
)
