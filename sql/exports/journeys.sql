-- journeys.parquet: one row per journey, by person and start.
-- parameters: definition
select journey_id, person_id, definition, start_at, end_at, steps, path, furthest_stage, converted, conforms
from journeys
where definition = $definition
order by person_id, start_at, journey_id
