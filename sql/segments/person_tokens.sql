-- The tokens of journey_mining/personas.py per person of the definition (numbered 0, 1, … in person_id
-- order, as segments/persons gives them), in person and token order: how often the person's path steps
-- hold each. Token t < $touchpoints is the touchpoint t (one per path step); token $touchpoints
-- + a * $touchpoints + b is the pair "a > b" of consecutive steps of one journey (a transition between two
-- touchpoints).
-- parameters: definition, touchpoints
with persons as (
    select journey_key, dense_rank() over (order by person_id) - 1 as person
    from journeys
    where definition = $definition
),

tokens as (
    select journey_key, touchpoint_index::integer as token
    from journey_steps
    where definition = $definition
    union all
    select journey_key, $touchpoints + source_index * $touchpoints + target_index as token
    from journey_transitions
    where definition = $definition and source_index >= 0 and target_index >= 0
)

select p.person::integer as person, t.token::integer as token, count(*)::integer as count
from tokens as t
join persons as p using (journey_key)
group by p.person, t.token
order by p.person, t.token
