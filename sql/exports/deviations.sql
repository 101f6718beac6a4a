-- deviations.csv: one row per deviation taken (most journeys first), then assumed transitions not taken.
-- parameters: definition
select definition, source, target, kind, journeys, share
from deviations
where definition = $definition
order by kind = 'not_taken', journeys desc, kind, source, target
