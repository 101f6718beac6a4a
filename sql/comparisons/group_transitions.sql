-- Per group of {{groups}} (a table of journey_key and grp) and transition of its journeys' paths, (start)
-- and (end) included: the steps taking it and the journeys doing so. Touchpoints by index, -1 for (start)
-- as a source and (end) as a target.
-- parameters: definition
-- fragments: groups
with steps as (
    select
        c.grp,
        s.journey_key,
        s.touchpoint_index,
        lag(s.touchpoint_index) over (partition by c.grp, s.journey_key order by s.step) as previous,
        lead(s.touchpoint_index) over (partition by c.grp, s.journey_key order by s.step) as following
    from {{groups}} as c
    join journey_steps as s on s.definition = $definition and s.journey_key = c.journey_key
),

pairs as (
    select grp, journey_key, coalesce(previous, -1) as source_index, touchpoint_index as target_index
    from steps
    union all
    select grp, journey_key, touchpoint_index, -1
    from steps
    where following is null
)

select grp, source_index, target_index, count(*) as transitions, count(distinct journey_key) as journeys
from pairs
group by grp, source_index, target_index
order by grp, transitions desc, source_index, target_index
