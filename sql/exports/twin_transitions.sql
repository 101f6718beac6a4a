-- twin_transitions.csv: one row per transition of the fitted chain, most taken first.
-- parameters: definition
select definition, source, target, transitions, probability
from twin_transitions
where definition = $definition
order by transitions desc, source, target
