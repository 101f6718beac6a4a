-- Replaces the definition's rows of persona_members: each person's persona (persona_member_rows, from
-- journey_mining/personas.py; none when the run found no personas).
-- parameters: definition
insert into persona_members
select person_id, $definition as definition, persona
from persona_member_rows
