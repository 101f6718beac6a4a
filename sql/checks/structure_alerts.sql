-- The definition's nightly structure alerts (alerts), the surest first: each a difference between the
-- journeys of the latest window and of the window before.
-- parameters: definition
select kind, item_kind, item, previous_share, current_share, q_value
from alerts
where definition = $definition
order by alert_order
