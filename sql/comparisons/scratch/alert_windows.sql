-- One row per journey of the definition that a nightly alert compares (SPEC 10): with T the UTC day of
-- the latest loaded event, group 1 (current) starts on a day in [T - horizon - window, T - horizon),
-- group 0 (previous) in the window before. Days are whole UTC days, counted from 1970-01-01.
-- parameters: definition, horizon_days, window_days, latest_day
create or replace temp table alert_windows as
with grouped as (
    select
        j.journey_key,
        (epoch_us(j.start_at) // 86400000000 - ($latest_day - $horizon_days - 2 * $window_days)) // $window_days
            as grp
    from journeys as j
    where j.definition = $definition
)

select journey_key, grp from grouped where grp in (0, 1)
