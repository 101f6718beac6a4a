-- Every path step of the definition's journeys (all persons, mined in this run or before), in the
-- shape of pass_steps: the tables of SPEC section 5 are summed from these.
-- parameters: definition
create or replace temp table mined_steps as
select
    p.journey_id,
    p.step,
    t.touchpoint_index,
    t.touchpoint,
    t.stage_index,
    t.goal,
    p.step_at
from path_steps as p
join definition_touchpoints as t on t.touchpoint = p.touchpoint
where p.definition = $definition
