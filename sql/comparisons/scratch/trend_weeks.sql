-- One row per journey of the definition old enough to be read as it stood $horizon_days after its start
-- (its start day before T - horizon, T the UTC day of the latest loaded event): its group is the
-- Monday of its start week, as days since 1970-01-01 (a Thursday).
-- parameters: definition, horizon_days, latest_day
create or replace temp table trend_weeks as
with days as (
    select j.journey_key, epoch_us(j.start_at) // 86400000000 as day
    from journeys as j
    where j.definition = $definition
)

select d.journey_key, d.day - (d.day + 3) % 7 as grp
from days as d
where d.day < $latest_day - $horizon_days
