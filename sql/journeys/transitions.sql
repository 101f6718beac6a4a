-- Replaces the definition's rows of transitions: one row per edge of the directly-follows graph. An
-- edge's distinct journeys are counted once per edge in journey_mining/paths.py (edge_journeys).
-- parameters: definition
insert into transitions
with edges as (
    select
        source,
        target,
        count(*) as transitions,
        any_value(edge_journeys) as journeys,
        median(seconds) as median_s,
        quantile_cont(seconds, 0.9) as p90_s,
        any_value(kind) as kind
    from mined_transitions
    group by source, target
),

final as (
    select $definition as definition, source, target, transitions, journeys, median_s, p90_s, kind
    from edges
)

select * from final order by transitions desc, source, target
