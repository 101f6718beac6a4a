-- The pain points of the journey map: one row per touchpoint at which at least one journey that did
-- not convert ended (its last step), most such exits first, ties by touchpoint name; the first $top.
-- parameters: definition, top
with lost_journeys as (
    select count(*) filter (where not converted) as journeys from journeys where definition = $definition
),

final as (
    select
        k.touchpoint,
        k.stage,
        k.exits,
        k.exits / nullif(l.journeys, 0) as share_of_exits,
        k.journeys,
        k.exit_rate,
        k.mean_score
    from touchpoint_kpis as k
    cross join lost_journeys as l
    where k.definition = $definition and k.exits > 0
)

select * from final order by exits desc, touchpoint limit $top
