-- Per journey of the definition, in journey_key order (the order of journeys/mined_steps): its person's
-- number among the definition's persons in person_id order (0, 1, …), for journey_mining/personas.py.
-- parameters: definition
select dense_rank() over (order by person_id) - 1 as person
from journeys
where definition = $definition
order by journey_key
