-- Replaces the definition's rows of feelings: per stage and per touchpoint, zeros included, the mean
-- of its events' scores on one scale from -1 to 1 (journey_touchpoints put them on that scale).
-- parameters: definition
insert into feelings
with scored as (
    select t.stage_index, t.touchpoint_index, j.scored_events, j.score_sum
    from journey_touchpoints as j
    join definition_touchpoints as t using (touchpoint_index)
    where j.definition = $definition and j.scored_events > 0
),

per_touchpoint as (
    select t.stage_index, t.touchpoint_index, t.touchpoint, coalesce(sum(s.scored_events), 0) as scored_events,
           sum(s.score_sum) as score_sum
    from definition_touchpoints as t
    left join scored as s using (touchpoint_index)
    group by all
),

per_stage as (
    select st.stage_index, coalesce(sum(s.scored_events), 0) as scored_events, sum(s.score_sum) as score_sum
    from definition_stages as st
    left join scored as s using (stage_index)
    group by st.stage_index
),

final as (
    select st.stage, st.stage_index, -1 as touchpoint_index, null as touchpoint, p.scored_events, p.score_sum
    from per_stage as p
    join definition_stages as st using (stage_index)
    union all
    select st.stage, st.stage_index, p.touchpoint_index, p.touchpoint, p.scored_events, p.score_sum
    from per_touchpoint as p
    join definition_stages as st using (stage_index)
)

select
    $definition as definition,
    stage,
    stage_index as stage_order,
    touchpoint,
    scored_events,
    score_sum::double / nullif(scored_events, 0) as mean_score
from final
order by stage_index, touchpoint_index
