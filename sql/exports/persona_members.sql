-- persona_members.parquet: one row per person with a persona, in person_id order.
-- parameters: definition
select person_id, definition, persona
from persona_members
where definition = $definition
order by person_id
