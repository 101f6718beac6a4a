-- One row per journey of the definition: group 1 when its value of segment $segment is $value, else
-- group 0 (the rest). Reads journey_segment_values (segments/scratch/journey_segment_values).
-- parameters: segment, value
create or replace temp table segment_journeys as
select journey_key, (value = $value)::integer as grp
from journey_segment_values
where segment = $segment
