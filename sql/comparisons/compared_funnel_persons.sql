-- Per funnel and person of the definition: the times of the funnel steps the person reached, and the
-- group of the compared journey ({{groups}}) their first step falls in (start to end, both included; of two
-- journeys meeting at that time, the later); persons whose first step falls in no compared journey are
-- left out.
-- parameters: definition
-- fragments: groups
select c.grp, f.funnel, f.step_times
from funnel_persons as f
join journeys as j
  on j.definition = f.definition and j.person_id = f.person_id
 and f.step_times[1] between epoch_us(j.start_at) and epoch_us(j.end_at)
join {{groups}} as c using (journey_key)
where f.definition = $definition
qualify row_number() over (partition by f.funnel, f.person_id order by j.start_at desc) = 1
