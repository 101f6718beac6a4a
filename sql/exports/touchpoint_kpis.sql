-- touchpoint_kpis.csv: one row per touchpoint, in the definition's order (the order rows were written).
-- parameters: definition
select definition, touchpoint, stage, events, journeys, exits, exit_rate, mean_score
from touchpoint_kpis
where definition = $definition
