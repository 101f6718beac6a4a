-- Whether the definition's latest mining run read the definition file whose digest is $definition_sha256
-- (mining_state); no row when it was never mined.
-- parameters: definition, definition_sha256
select definition_sha256 = $definition_sha256 as same_definition
from mining_state
where definition = $definition
