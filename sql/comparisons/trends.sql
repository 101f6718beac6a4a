-- Replaces the definition's rows of trends (trend_rows: journey_mining/comparisons.py, in their order).
-- parameters: definition
insert into trends
select $definition as definition, *
from trend_rows
