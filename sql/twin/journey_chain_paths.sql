-- The distinct chain paths of the definition's journeys (journeys.chain_path, cut when each journey was
-- mined), with their outcome and journeys: journey_mining/twin.py fits the chain on these.
-- parameters: definition
select chain_path as path, converted, count(*) as journeys
from journeys
where definition = $definition
group by chain_path, converted
