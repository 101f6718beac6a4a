-- feelings.csv: one row per stage (touchpoint empty) then one per touchpoint of that stage, in the
-- definition's order (the order rows were written).
-- parameters: definition
select definition, stage, stage_order, touchpoint, scored_events, mean_score
from feelings
where definition = $definition
