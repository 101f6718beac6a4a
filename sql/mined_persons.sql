-- Adds the mined persons' rows of mined_persons: how each person's events of the period fared.
insert into mined_persons
select
    $definition as definition,
    person_id,
    count(*) filter (where in_scope) as in_scope,
    count(*) filter (where not in_scope) as out_of_scope,
    count(*) filter (where touchpoint_index is not null) as mapped,
    count(*) filter (where in_scope and touchpoint_index is null) as unmapped
from classified_events
group by person_id
