-- One row per funnel step of the definition with more persons than the step before it: a person
-- counted at a step reached every step before it, so a funnel never widens.
-- parameters: definition
with steps as (
    select funnel, step, step_name, persons
    from funnels
    where definition = $definition
),

compared as (
    select funnel, step, step_name, persons,
           lag(persons) over (partition by funnel order by step) as persons_before
    from steps
),

final as (
    select funnel, step, step_name, persons, persons_before
    from compared
    where persons > persons_before
)

select * from final order by funnel, step
