-- Replaces the definition's rows of path_steps: one row per step of each journey's path.
-- parameters: definition
insert into path_steps
select $definition as definition, s.journey_id, s.step, s.touchpoint, t.stage, s.step_at
from pass_steps as s
join definition_touchpoints as t using (touchpoint_index)
order by s.journey_id, s.step
