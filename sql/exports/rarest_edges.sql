-- For the journey map's rare-edge control: the definition's journeys counted by how many journeys
-- took the rarest edge of their path ((start) and (end) edges included). A map showing only edges
-- taken by at least N journeys shows the whole path of the journeys counted at N or more.
-- parameters: definition
with steps as (
    select
        journey_id,
        step,
        touchpoint,
        coalesce(lag(touchpoint) over (partition by journey_id order by step), '(start)') as source
    from path_steps
    where definition = $definition
),

journey_edges as (
    select journey_id, source, touchpoint as target from steps
    union all
    select journey_id, arg_max(touchpoint, step), '(end)' from steps group by journey_id
),

rarest as (
    select e.journey_id, min(t.journeys) as rarest_edge_journeys
    from journey_edges as e
    join transitions as t on t.definition = $definition and t.source = e.source and t.target = e.target
    group by e.journey_id
)

select rarest_edge_journeys, count(*) as journeys
from rarest
group by rarest_edge_journeys
order by rarest_edge_journeys
