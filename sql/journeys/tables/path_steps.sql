-- One row per step of a journey's path, named: the event log of the journeys (XES, process mining
-- tools), a view of journey_steps with the journey's id and the touchpoint's name and stage.
create or replace view path_steps as
select s.definition, j.journey_id, s.step::bigint as step, t.touchpoint, t.stage, s.step_at
from journey_steps as s
join journeys as j on j.journey_key = s.journey_key
join mined_touchpoints as t on t.definition = s.definition and t.touchpoint_index = s.touchpoint_index
