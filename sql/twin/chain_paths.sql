-- The chain paths of the definition's latest mining run (twin_paths).
-- parameters: definition
select path, converted, journeys
from twin_paths
where definition = $definition
order by path, converted
