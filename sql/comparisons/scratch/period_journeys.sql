-- One row per journey of the definition that started (UTC day, both ends included) in the first period
-- (group 0) or the second (group 1); the periods do not overlap
-- (journey_mining/comparisons.py checks).
-- parameters: definition, first_since, first_until, second_since, second_until
create or replace temp table period_journeys as
with days as (
    select journey_key, (start_at at time zone 'UTC')::date as day
    from journeys
    where definition = $definition
)

select
    journey_key,
    (day between $second_since and $second_until)::integer as grp
from days
where day between $first_since and $first_until or day between $second_since and $second_until
