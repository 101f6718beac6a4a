-- Replaces the definition's rows of twin_transitions (twin_transition_rows: journey_mining/twin.py), most
-- taken first.
-- parameters: definition
insert into twin_transitions
select $definition as definition, source, target, transitions, probability
from twin_transition_rows
order by transitions desc, source, target
