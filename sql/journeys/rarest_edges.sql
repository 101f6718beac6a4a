-- Replaces the definition's rows of rarest_edges: each journey's edges (mined_transitions) looked up in
-- transitions (written just before), the least of their journeys kept, and the journeys counted by it.
-- parameters: definition
insert into rarest_edges
with per_journey as (
    select m.journey, min(t.journeys) as rarest_edge_journeys
    from mined_transitions as m
    join transitions as t on t.definition = $definition and t.source = m.source and t.target = m.target
    group by m.journey
)

select $definition as definition, rarest_edge_journeys, count(*) as journeys
from per_journey
group by rarest_edge_journeys
order by rarest_edge_journeys
