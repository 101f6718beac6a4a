-- For the journey map's rare-edge control (journeys/rarest_edges): (journeys of the rarest edge,
-- journeys) pairs, rarest first.
-- parameters: definition
select rarest_edge_journeys, journeys
from rarest_edges
where definition = $definition
order by rarest_edge_journeys
