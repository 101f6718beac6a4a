-- One row per journey and touchpoint in its path: the touchpoint's mapped events in the journey
-- (repeats included) and their scores on the one scale from -1 to 1. Kept so that touchpoint KPIs
-- and feelings can be summed again after an incremental run mines some persons again.
create table if not exists journey_touchpoints (
    definition        varchar not null,
    journey_key       bigint not null,
    touchpoint_index  smallint not null,
    events            bigint not null,
    scored_events     bigint not null,
    score_sum         decimal(38, 18)  -- exact, so that a sum does not depend on the order rows are added in
)
