-- segment_stage_kpis.csv: one row per segment value and stage, stages in the definition's order.
-- parameters: definition
select definition, segment, value, stage, stage_order, journeys_reached, journeys_dropped, drop_off_rate
from segment_stage_kpis
where definition = $definition
order by segment_order, value, stage_order
