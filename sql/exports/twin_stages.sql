-- twin_stages.csv: one row per stage, in the definition's order (the order rows were written).
-- parameters: definition
select definition, stage, observed_reach, model_reach
from twin_stages
where definition = $definition
