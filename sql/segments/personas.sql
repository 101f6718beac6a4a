-- Replaces the definition's rows of personas: per persona (persona_rows, from journey_mining/personas.py)
-- its persons and their journeys, converted or not.
-- parameters: definition
insert into personas
with members as (
    select persona, count(*) as persons
    from persona_members
    where definition = $definition
    group by persona
),

persona_journeys as (
    select m.persona, count(*) as journeys, count(*) filter (where j.converted) as converted
    from journeys as j
    join persona_members as m on m.definition = j.definition and m.person_id = j.person_id
    where j.definition = $definition
    group by m.persona
)

select
    $definition as definition,
    p.persona,
    p.name,
    p.top_touchpoints,
    m.persons,
    m.persons / (select sum(persons) from members) as share,
    pj.journeys,
    pj.converted / nullif(pj.journeys, 0) as conversion_rate,
    p.silhouette
from persona_rows as p
join members as m using (persona)
join persona_journeys as pj using (persona)
order by p.persona
