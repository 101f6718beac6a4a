-- Every path step of the definition's journeys (all persons, mined in this run or before), a journey's
-- steps together in step order: the tables over everyone are summed from these (journey_mining/mining.py
-- registers them as mined_steps and their transitions as mined_transitions).
-- parameters: definition
select p.journey_id, t.touchpoint_index, epoch_us(p.step_at) as t
from path_steps as p
join definition_touchpoints as t on t.touchpoint = p.touchpoint
where p.definition = $definition
order by p.journey_id, p.step
