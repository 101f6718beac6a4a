-- personas.csv: one row per persona, the largest first.
-- parameters: definition
select definition, persona, name, top_touchpoints, persons, share, journeys, conversion_rate, silhouette
from personas
where definition = $definition
order by persona
