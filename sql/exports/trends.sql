-- trends.csv: one row per start week and item, by week.
-- parameters: definition
select definition, week, item_kind, item, x, n, share
from trends
where definition = $definition
order by trend_order
