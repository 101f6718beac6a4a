-- Adds the pass's rows of journeys: one row per journey (pass_journeys, cut by journey_mining/paths.py).
-- parameters: definition
insert into journeys
select
    i.journey_id,
    i.person_id,
    $definition as definition,
    j.start_at,
    j.end_at,
    j.steps,
    j.path,
    s.stage as furthest_stage,
    j.converted,
    j.conforms,
    i.journey_key,
    j.chain_path
from pass_journeys as j
join pass_journey_ids as i using (journey)
join definition_stages as s on s.stage_index = j.furthest_stage_index
