-- variants.csv: one row per variant, by rank.
-- parameters: definition
select definition, rank, path, journeys, share, converted, conversion_rate, conforms
from variants
where definition = $definition
order by rank
