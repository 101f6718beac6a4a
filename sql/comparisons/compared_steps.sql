-- The path steps of the compared journeys ({{groups}}: alert_windows, trend_weeks, period_journeys or
-- segment_journeys, each a journey_key and its group; a journey may be in several groups), a group's
-- journeys together and a journey's steps in step order, with the group and the journey's start
-- (microseconds since the epoch).
-- parameters: definition
-- fragments: groups
select c.grp, s.journey_key, s.touchpoint_index, epoch_us(s.step_at) as t, epoch_us(j.start_at) as start_t
from {{groups}} as c
join journeys as j using (journey_key)
join journey_steps as s on s.definition = $definition and s.journey_key = c.journey_key
order by c.grp, s.journey_key, s.step
