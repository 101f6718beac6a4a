-- Per group of {{groups}} (a table of journey_key and grp) and touchpoint of its journeys' paths: the
-- journeys with it and the journeys that did not convert and ended on it (its exits), and per group its
-- journeys (touchpoint_index null).
-- parameters: definition
-- fragments: groups
select
    c.grp,
    s.touchpoint_index,
    count(distinct s.journey_key) as journeys,
    count(distinct s.journey_key) filter (where s.step = j.steps and not j.converted) as exits
from {{groups}} as c
join journeys as j using (journey_key)
join journey_steps as s on s.definition = $definition and s.journey_key = c.journey_key
group by grouping sets ((c.grp, s.touchpoint_index), (c.grp))
