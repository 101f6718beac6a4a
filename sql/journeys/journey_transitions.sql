-- Adds the pass's rows of journey_transitions (pass_transitions: paired by journey_mining/paths.py from
-- the pass's path steps).
-- parameters: definition
insert into journey_transitions
select
    $definition as definition,
    (select min(journey_key) from pass_journey_ids) + t.journey as journey_key,  -- consecutive, as journey is
    t.source_index,
    t.target_index,
    t.micros,
    t.first_on_edge
from pass_transitions as t
