-- Replaces the definition's rows of twin_stages: per stage, the share of journeys that reached it
-- (stage_kpis) beside the chain's probability of reaching it (twin_stage_rows: journey_mining/twin.py).
-- parameters: definition
insert into twin_stages
with journeys as (
    select journeys from mining_runs where definition = $definition
)

select
    $definition as definition,
    s.stage,
    k.journeys_reached / nullif((select journeys from journeys), 0) as observed_reach,
    r.model_reach
from definition_stages as s
join stage_kpis as k on k.definition = $definition and k.stage = s.stage
left join twin_stage_rows as r using (stage_index)
order by s.stage_index
