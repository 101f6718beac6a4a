-- alerts.csv: one row per difference between the latest window and the one before, the surest first.
-- parameters: definition
select definition, item_kind, item, previous_x, previous_n, previous_share, current_x, current_n, current_share,
       change, p_value, q_value, kind
from alerts
where definition = $definition
order by alert_order
