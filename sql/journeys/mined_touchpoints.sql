-- Replaces the definition's rows of mined_touchpoints: its touchpoints, by index.
-- parameters: definition
insert into mined_touchpoints
select $definition as definition, touchpoint_index, touchpoint, stage
from definition_touchpoints
order by touchpoint_index
