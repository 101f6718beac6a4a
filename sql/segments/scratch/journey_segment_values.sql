-- One row per journey of the definition and segment: the journey's value, drawn from its first event
-- (journey_segments) or, for a persona segment, its person's persona number (`(none)` when the run
-- found no personas), with the segment's place in the definition.
-- parameters: definition
create or replace temp table journey_segment_values as
select s.journey_key, d.segment_index, s.segment, s.value
from journey_segments as s
join definition_segments as d using (segment)
where s.definition = $definition

union all

select j.journey_key, d.segment_index, d.segment, coalesce(m.persona::varchar, '(none)') as value
from journeys as j
cross join definition_segments as d
left join persona_members as m on m.definition = j.definition and m.person_id = j.person_id
where j.definition = $definition and d.field = 'persona'
