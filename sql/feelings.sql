-- Replaces the definition's rows of feelings: per stage and per touchpoint, zeros included, the mean
-- of its events' scores on one scale from -1 to 1. Scores are put on that scale by their score_kind;
-- a score outside its kind's range, or of a kind not known, is left out.
insert into feelings
with scored as (
    select
        touchpoint_index,
        case
            when score_kind = 'csat' and score between 1 and 5 then (score - 3) / 2
            when score_kind = 'nps' and score between 0 and 10 then (score - 5) / 5
            when coalesce(score_kind, 'sentiment') = 'sentiment' and score between -1 and 1 then score
        end as unit_score
    from journey_events
    where score is not null
),

per_touchpoint as (
    select t.stage_index, t.touchpoint_index, t.touchpoint, count(s.unit_score) as scored_events,
           avg(s.unit_score) as mean_score
    from definition_touchpoints as t
    left join scored as s using (touchpoint_index)
    group by all
),

per_stage as (
    select st.stage_index, count(s.unit_score) as scored_events, avg(s.unit_score) as mean_score
    from definition_stages as st
    left join definition_touchpoints as t using (stage_index)
    left join scored as s using (touchpoint_index)
    group by st.stage_index
),

final as (
    select st.stage, st.stage_index, -1 as touchpoint_index, null as touchpoint, p.scored_events, p.mean_score
    from per_stage as p
    join definition_stages as st using (stage_index)
    union all
    select st.stage, st.stage_index, p.touchpoint_index, p.touchpoint, p.scored_events, p.mean_score
    from per_touchpoint as p
    join definition_stages as st using (stage_index)
)

select $definition as definition, stage, stage_index as stage_order, touchpoint, scored_events, mean_score
from final
order by stage_index, touchpoint_index
