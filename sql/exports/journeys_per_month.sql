-- The definition's journeys per 30 days, over the days they span (the first journey's start to the last
-- one's end, at least one day): how a what-if's change of conversion becomes conversions a month.
-- parameters: definition
select count(*) * 30.0 * 86400 / greatest(epoch(max(end_at)) - epoch(min(start_at)), 86400) as journeys_per_month
from journeys
where definition = $definition
