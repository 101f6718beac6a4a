-- The mapped events of the persons of mining pass $mining_pass in reading order: by person, then
-- timestamp, event_id and source (clickstream before crm when two events share an id and a time).
-- journey_mining/paths.py cuts them into journeys and steps, funnels.py folds the ordered funnels; a
-- journey's segment values are those of its first event.
-- parameters: mining_pass
select person_key, t, touchpoint_index, unit_score, segment_values
from classified_events
where mining_pass = $mining_pass and touchpoint_index is not null
order by person_key, t, event_id, source
