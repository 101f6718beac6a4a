-- T of the nightly alerts and trends (SPEC 10): the UTC day of the latest loaded event, as days since
-- 1970-01-01; the `latest_day` of scratch/alert_windows and scratch/trend_weeks.
select max(epoch_us(occurred_at)) // 86400000000 as latest_day from events
