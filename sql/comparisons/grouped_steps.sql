-- The path steps of the journeys in any group of {{groups}} (a table of journey_key and grp, as for
-- compared_steps), each journey's once however many groups it is in, in journey and step order: the
-- journey's key, touchpoint index and time (microseconds since the epoch).
-- parameters: definition
-- fragments: groups
select s.journey_key, s.touchpoint_index, epoch_us(s.step_at) as t
from journey_steps as s
where s.definition = $definition and s.journey_key in (select journey_key from {{groups}})
order by s.journey_key, s.step
