-- One row per journey of the definition and segment value the report draws a map of (the values of
-- shown_values: segment and value): the journey and its population, `segment=value`. Reads
-- journey_segment_values (segments/scratch/journey_segment_values).
create or replace temp table population_journeys as
select v.journey_key, v.segment || '=' || v.value as grp
from journey_segment_values as v
join shown_values as s using (segment, value)
