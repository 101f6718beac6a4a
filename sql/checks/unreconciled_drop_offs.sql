-- One row (or none) for the definition: its journeys dropped, summed over the stages, when that sum
-- is not its journeys that did not convert. Each such journey drops at exactly one stage, its highest.
-- parameters: definition
with dropped as (
    select coalesce(sum(journeys_dropped), 0) as journeys_dropped
    from stage_kpis
    where definition = $definition
),

not_converted as (
    select count(*) as journeys_not_converted
    from journeys
    where definition = $definition and not converted
),

final as (
    select journeys_dropped, journeys_not_converted
    from dropped, not_converted
    where journeys_dropped <> journeys_not_converted
)

select * from final
