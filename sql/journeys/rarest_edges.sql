-- Replaces the definition's rows of rarest_edges: per journey, the least of its edges' journeys
-- (mined_transitions), and the journeys counted by it.
-- parameters: definition
insert into rarest_edges
with per_journey as (
    select journey, min(edge_journeys) as rarest_edge_journeys
    from mined_transitions
    group by journey
)

select $definition as definition, rarest_edge_journeys, count(*) as journeys
from per_journey
group by rarest_edge_journeys
order by rarest_edge_journeys
