-- The definition's fitted chain (twin_transitions: counts between states) and its journeys and
-- converted journeys (mining_runs): journey_mining/checks.py solves the chain again and compares.
-- parameters: definition
select
    t.source,
    t.target,
    t.transitions,
    r.journeys,
    r.converted
from mining_runs as r
left join twin_transitions as t on t.definition = r.definition
where r.definition = $definition
