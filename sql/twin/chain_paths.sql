-- The chain paths of the definition's latest mining run (twin_paths), each row beside whether that run
-- read the definition file whose digest is $definition_sha256 (mining_state); no row when it was never
-- mined, one row of nulls beside the flag when it has no journeys.
-- parameters: definition, definition_sha256
select s.definition_sha256 = $definition_sha256 as same_definition, p.path, p.converted, p.journeys
from mining_state as s
left join twin_paths as p on p.definition = s.definition
where s.definition = $definition
order by p.path, p.converted
