-- Replaces the definition's rows of transitions: one row per edge of the directly-follows graph, summed
-- from every journey's transitions (journey_transitions).
-- parameters: definition
insert into transitions
with edges as (
    select
        source_index,
        target_index,
        count(*) as transitions,
        count(*) filter (where first_on_edge) as journeys,
        median(seconds) as median_s,
        quantile_cont(seconds, 0.9) as p90_s
    from journey_transitions
    where definition = $definition
    group by source_index, target_index
),

final as (
    select $definition as definition, d.source, d.target, e.transitions, e.journeys, e.median_s, e.p90_s, d.kind
    from edges as e
    join definition_edges as d using (source_index, target_index)
)

select * from final order by transitions desc, source, target
