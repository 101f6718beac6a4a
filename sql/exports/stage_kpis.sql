-- stage_kpis.csv: one row per stage, in the definition's order.
-- parameters: definition
select definition, stage, stage_order, journeys_reached, journeys_dropped, drop_off_rate, median_s_to_reach
from stage_kpis
where definition = $definition
order by stage_order
