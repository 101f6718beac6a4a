-- Adds the pass's rows of journey_segments: one row per journey and segment drawn from events
-- (pass_journey_segments, from each journey's first event); a missing, empty or blank value is (none).
-- parameters: definition
insert into journey_segments
select
    $definition as definition,
    i.journey_key,
    s.segment,
    case when trim(coalesce(s.value, '')) = '' then '(none)' else s.value end as value
from pass_journey_segments as s
join pass_journey_ids as i using (journey)
