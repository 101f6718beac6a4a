-- Adds the pass's rows of journey_touchpoints: per journey and touchpoint, its mapped events and the
-- sum of their scores on the one scale from -1 to 1 (scratch/classified_events).
-- parameters: definition
insert into journey_touchpoints
with per_journey as (
    select
        journey,
        touchpoint_index,
        count(*) as events,
        count(unit_score) as scored_events,
        sum(unit_score::decimal(38, 18)) as score_sum
    from pass_event_journeys
    group by journey, touchpoint_index
)

select
    $definition as definition,
    (select min(journey_key) from pass_journey_ids) + p.journey as journey_key,  -- consecutive, as journey is
    p.touchpoint_index,
    p.events,
    p.scored_events,
    p.score_sum
from per_journey as p
