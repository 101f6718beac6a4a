-- Replaces the definition's rows of rarest_edges: per journey, the least of its edges' journeys, and the
-- journeys counted by it.
-- parameters: definition
insert into rarest_edges
with taken as (  -- each journey's edges, once each
    select journey_key, source_index, target_index
    from journey_transitions
    where definition = $definition and first_on_edge
),

edge_journeys as (
    select source_index, target_index, count(*) as journeys
    from taken
    group by source_index, target_index
),

per_journey as (
    select t.journey_key, min(e.journeys) as rarest_edge_journeys
    from taken as t
    join edge_journeys as e using (source_index, target_index)
    group by t.journey_key
)

select $definition as definition, rarest_edge_journeys, count(*) as journeys
from per_journey
group by rarest_edge_journeys
order by rarest_edge_journeys
