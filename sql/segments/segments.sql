-- Replaces the definition's rows of segments: per segment (in the definition's order) and value (the
-- most journeys first), the journeys with that value, their share of all, and their conversion.
-- parameters: definition
insert into segments
with per_value as (
    select
        v.segment_index,
        v.segment,
        v.value,
        count(*) as journeys,
        count(*) filter (where j.converted) as converted
    from journey_segment_values as v
    join journeys as j using (journey_key)
    group by v.segment_index, v.segment, v.value
)

select
    $definition as definition,
    segment,
    segment_index as segment_order,
    value,
    journeys,
    journeys / (select count(*) from journeys where definition = $definition) as share,
    converted,
    converted / journeys as conversion_rate
from per_value
order by segment_index, journeys desc, value
