-- One row per table mining writes for a definition (its assets): the definition's rows in it.
-- parameters: definition
with final as (
    select 'journeys' as mined_table, count(*) as row_count from journeys where definition = $definition
    union all
    select 'path_steps', count(*) from journey_steps where definition = $definition
    union all
    select 'stage_kpis', count(*) from stage_kpis where definition = $definition
    union all
    select 'feelings', count(*) from feelings where definition = $definition
    union all
    select 'touchpoint_kpis', count(*) from touchpoint_kpis where definition = $definition
    union all
    select 'transitions', count(*) from transitions where definition = $definition
    union all
    select 'variants', count(*) from variants where definition = $definition
    union all
    select 'deviations', count(*) from deviations where definition = $definition
    union all
    select 'funnels', count(*) from funnels where definition = $definition
    union all
    select 'conformance', count(*) from conformance where definition = $definition
    union all
    select 'attribution', count(*) from attribution where definition = $definition
    union all
    select 'twin_stages', count(*) from twin_stages where definition = $definition
    union all
    select 'twin_transitions', count(*) from twin_transitions where definition = $definition
    union all
    select 'segments', count(*) from segments where definition = $definition
    union all
    select 'segment_stage_kpis', count(*) from segment_stage_kpis where definition = $definition
    union all
    select 'personas', count(*) from personas where definition = $definition
    union all
    select 'alerts', count(*) from alerts where definition = $definition
    union all
    select 'trends', count(*) from trends where definition = $definition
)

select * from final
