-- Replaces the definition's rows of touchpoint_kpis: one row per touchpoint, zeros included.
-- Scores are put on one scale from -1 to 1 by their score_kind; a score outside its kind's range,
-- or of a kind not known, is left out of the mean.
insert into touchpoint_kpis
with scored as (
    select
        touchpoint_index,
        case
            when score_kind = 'csat' and score between 1 and 5 then (score - 3) / 2
            when score_kind = 'nps' and score between 0 and 10 then (score - 5) / 5
            when coalesce(score_kind, 'sentiment') = 'sentiment' and score between -1 and 1 then score
        end as unit_score
    from journey_events
),

per_event as (
    select touchpoint_index, count(*) as events, avg(unit_score) as mean_score
    from scored
    group by touchpoint_index
),

journey_facts as (
    select journey_id, bool_or(goal) as converted, arg_max(touchpoint_index, step) as last_touchpoint
    from journey_steps
    group by journey_id
),

per_journey as (
    select touchpoint_index, count(distinct journey_id) as journeys
    from journey_steps
    group by touchpoint_index
),

exits as (
    select last_touchpoint as touchpoint_index, count(*) as exits
    from journey_facts
    where not converted
    group by last_touchpoint
),

final as (
    select
        $definition as definition,
        t.touchpoint,
        t.stage,
        coalesce(e.events, 0) as events,
        coalesce(j.journeys, 0) as journeys,
        coalesce(x.exits, 0) as exits,
        coalesce(x.exits, 0) / nullif(j.journeys, 0) as exit_rate,
        e.mean_score,
        t.touchpoint_index
    from definition_touchpoints as t
    left join per_event as e using (touchpoint_index)
    left join per_journey as j using (touchpoint_index)
    left join exits as x using (touchpoint_index)
)

select * exclude (touchpoint_index) from final order by touchpoint_index
