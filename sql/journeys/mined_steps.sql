-- Every path step of the definition's journeys (all persons, mined in this run or before), a journey's
-- steps together in step order: the tables over everyone are summed from these (journey_mining/mining.py
-- registers them as mined_steps and their transitions as mined_transitions).
-- parameters: definition
select journey_key, touchpoint_index, epoch_us(step_at) as t
from journey_steps
where definition = $definition
order by journey_key, step
