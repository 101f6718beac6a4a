-- Adds the pass's rows of funnel_persons: the step times each person reached per funnel (sequential
-- and strict funnels folded by journey_mining/funnels.py, funnels of order any by scratch/funnel_progress_any).
-- parameters: definition
insert into funnel_persons
with progress as (
    select funnel, person, step_times from pass_funnel_progress
    union all
    select funnel, person_key as person, step_times from funnel_progress_any
)

select $definition as definition, p.funnel, k.person_id, p.step_times
from progress as p
join mined_person_keys as k on k.person_key = p.person
