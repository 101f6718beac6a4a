-- Adds the mined persons' rows of funnel_persons: the step times each person reached per funnel.
-- parameters: definition
insert into funnel_persons
select $definition as definition, funnel, person_id, step_times from funnel_progress_ordered
union all
select $definition as definition, funnel, person_id, step_times from funnel_progress_any
