-- One row per variant of the definition: its path as a list of touchpoints and its journeys
-- (pm4py's per-variant input; a list, so touchpoint names may hold any text).
-- parameters: definition
with paths as (
    select journey_id, list(touchpoint order by step) as path
    from path_steps
    where definition = $definition
    group by journey_id
),

final as (
    select path, count(*) as journeys from paths group by path
)

select * from final order by journeys desc, path
