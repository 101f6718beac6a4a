-- One row per transition of the definition that the assumed journey has or that journeys took:
-- every edge of transitions ((start) and (end) included), then every assumed transition nobody took
-- (deviations of kind not_taken). An edge is assumed when it joins two different touchpoints and its
-- kind is expected: the rule of journey_mining/paths.py (edge_kinds) and deviations lists as not_taken.
-- parameters: definition
with all_journeys as (
    select count(*) as journeys from journeys where definition = $definition
),

observed as (
    select source, target, kind, transitions, journeys
    from transitions
    where definition = $definition
),

not_taken as (
    select source, target, kind, 0 as transitions, journeys
    from deviations
    where definition = $definition and kind = 'not_taken'
),

touchpoint_stages as (
    select touchpoint, stage from touchpoint_kpis where definition = $definition
),

edges as (
    select * from observed
    union all
    select * from not_taken
),

final as (
    select
        e.source,
        e.target,
        s.stage as source_stage,
        t.stage as target_stage,
        e.kind = 'not_taken'
            or (e.kind = 'expected' and e.source <> e.target and s.stage is not null and t.stage is not null)
            as assumed,
        e.kind,
        e.transitions,
        e.journeys,
        e.journeys / nullif(a.journeys, 0) as share
    from edges as e
    cross join all_journeys as a
    left join touchpoint_stages as s on s.touchpoint = e.source
    left join touchpoint_stages as t on t.touchpoint = e.target
)

select * from final order by transitions desc, source, target
