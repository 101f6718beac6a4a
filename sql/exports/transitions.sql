-- transitions.csv: one row per edge of the directly-follows graph, most taken first.
-- parameters: definition
select definition, source, target, transitions, journeys, median_s, p90_s, kind
from transitions
where definition = $definition
order by transitions desc, source, target
