-- segments.csv: one row per segment and value, segments in the definition's order, the most journeys first.
-- parameters: definition
select definition, segment, value, journeys, share, converted, conversion_rate
from segments
where definition = $definition
order by segment_order, journeys desc, value
