-- Adds the rows of mined_persons of the persons of mining pass $mining_pass: how each person's events
-- of the period fared.
-- parameters: definition, mining_pass
insert into mined_persons
with counted as (
    select
        person_key,
        count(*) filter (where in_scope) as in_scope,
        count(*) filter (where not in_scope) as out_of_scope,
        count(*) filter (where touchpoint_index is not null) as mapped,
        count(*) filter (where in_scope and touchpoint_index is null) as unmapped
    from classified_events
    where mining_pass = $mining_pass
    group by person_key
)

select $definition as definition, k.person_id, c.in_scope, c.out_of_scope, c.mapped, c.unmapped
from counted as c
join mined_person_keys as k using (person_key)
