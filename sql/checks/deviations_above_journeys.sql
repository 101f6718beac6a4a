-- One row per deviation of the definition said to be taken by more journeys than the definition has.
-- parameters: definition
with mined as (
    select count(*) as journeys
    from journeys
    where definition = $definition
),

deviations_taken as (
    select source, target, kind, journeys
    from deviations
    where definition = $definition
),

final as (
    select d.source, d.target, d.kind, d.journeys, m.journeys as all_journeys
    from deviations_taken as d, mined as m
    where d.journeys > m.journeys
)

select * from final order by kind, source, target
