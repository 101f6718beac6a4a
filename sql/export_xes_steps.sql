-- The event log of the journeys for XES: one row per path step (case = journey, activity = touchpoint).
select journey_id, touchpoint, stage, step_at
from path_steps
where definition = $definition
order by journey_id, step
