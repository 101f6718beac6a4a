-- Adds the mined persons' rows of journey_touchpoints: per journey and touchpoint, its mapped events
-- and their scores put on one scale from -1 to 1 by score_kind (SPEC section 5, mean_score); a score
-- outside its kind's range, or of a kind not known, is left out.
-- parameters: definition
insert into journey_touchpoints
with scored as (
    select
        e.*,
        case
            when score_kind = 'csat' and score between 1 and 5 then (score - 3) / 2
            when score_kind = 'nps' and score between 0 and 10 then (score - 5) / 5
            when coalesce(score_kind, 'sentiment') = 'sentiment' and score between -1 and 1 then score
        end as unit_score
    from journey_events as e
),

journey_ids as (
    select person_id, journey_number, journey_id from pass_steps where step = 1
),

final as (
    select
        $definition as definition,
        s.person_id,
        j.journey_id,
        t.touchpoint,
        count(*) as events,
        count(s.unit_score) as scored_events,
        sum(s.unit_score::decimal(38, 18)) as score_sum
    from scored as s
    join journey_ids as j using (person_id, journey_number)
    join definition_touchpoints as t using (touchpoint_index)
    group by all
)

select * from final
