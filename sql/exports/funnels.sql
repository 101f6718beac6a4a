-- funnels.csv: one row per funnel step, funnels in the definition's order (the order rows were written).
-- parameters: definition
select definition, funnel, step, step_name, persons, conversion_rate_from_start, conversion_rate_from_previous,
       mean_s, median_s
from funnels
where definition = $definition
