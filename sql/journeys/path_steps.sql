-- Adds the pass's rows of path_steps: one row per step of each journey's path.
-- parameters: definition
insert into path_steps
select $definition as definition, i.journey_id, s.step, t.touchpoint, t.stage, s.step_at
from pass_steps as s
join pass_journey_ids as i using (journey)
join definition_touchpoints as t using (touchpoint_index)
