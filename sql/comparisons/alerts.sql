-- Replaces the definition's rows of alerts (alert_rows: journey_mining/comparisons.py, in their order).
-- parameters: definition
insert into alerts
select $definition as definition, *
from alert_rows
