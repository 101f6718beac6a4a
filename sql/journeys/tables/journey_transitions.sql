-- One row per directly-follows transition of a journey's path: (start) -> its first step, each step ->
-- the next, its last step -> (end). Touchpoints by index in the definition (mined_touchpoints), -1 for
-- (start) as a source and (end) as a target. Kept so that the directly-follows graph, the deviations and
-- the personas are summed from it instead of pairing every path step again at each run.
create table if not exists journey_transitions (
    definition     varchar not null,
    journey_key    bigint not null,
    source_index   smallint not null,
    target_index   smallint not null,
    micros         bigint,             -- microseconds between the two steps; null from (start) and into (end)
    first_on_edge  boolean not null    -- the journey's first transition on this edge: an edge's journeys count these
)
