-- Adds the pass's rows of journey_steps: one row per step of each journey's path, in journey_key and
-- step order (the pass's journeys have consecutive keys, in the order of pass_steps).
-- parameters: definition
insert into journey_steps
select
    $definition as definition,
    (select min(journey_key) from pass_journey_ids) + s.journey as journey_key,
    s.step,
    s.touchpoint_index,
    s.step_at
from pass_steps as s
