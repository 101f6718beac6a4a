-- The definition's persons (those with a journey) in person_id order: person number n of
-- person_tokens is row n.
-- parameters: definition
select distinct person_id
from journeys
where definition = $definition
order by person_id
