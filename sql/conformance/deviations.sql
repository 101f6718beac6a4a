-- Replaces the definition's rows of deviations: one row per (source, target, kind) of kind skip,
-- backward or entry that journeys took, and one of kind not_taken (0 journeys) per assumed
-- transition between two different touchpoints that no journey took.
-- parameters: definition
insert into deviations
with all_journeys as (
    select count(*) as journeys from journeys where definition = $definition
),

taken as (  -- the edges of the directly-follows graph (journeys/transitions, summed just before)
    select source, target, kind, journeys
    from transitions
    where definition = $definition and kind in ('skip', 'backward', 'entry')
),

assumed as (
    select source, target from definition_expected where source <> target
),

not_taken as (
    select a.source, a.target, 'not_taken' as kind, 0 as journeys
    from assumed as a
    where not exists (
        select 1 from transitions as t
        where t.definition = $definition and t.source = a.source and t.target = a.target
    )
),

final as (
    select $definition as definition, d.source, d.target, d.kind, d.journeys,
           d.journeys / nullif(all_journeys.journeys, 0) as share
    from (select * from taken union all select * from not_taken) as d, all_journeys
)

select * from final order by kind, journeys desc, source, target
