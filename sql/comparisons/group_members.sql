-- The journeys of each group of {{groups}} (a table of journey_key and grp), a group's together, in
-- journey order.
-- fragments: groups
select grp, journey_key
from {{groups}}
order by grp, journey_key
