-- Replaces the definition's rows of touchpoint_kpis: one row per touchpoint, zeros included.
-- mean_score is the touchpoint's row of feelings (written just before).
-- parameters: definition
insert into touchpoint_kpis
with steps as (  -- every path step of the definition's journeys, with its touchpoint's stage and goal
    select s.journey_key as journey, s.step, s.touchpoint_index, t.stage_index, t.goal, s.step_at
    from journey_steps as s
    join definition_touchpoints as t using (touchpoint_index)
    where s.definition = $definition
),

per_event as (
    select touchpoint_index, sum(events) as events
    from journey_touchpoints
    where definition = $definition
    group by touchpoint_index
),

journey_facts as (
    select journey, bool_or(goal) as converted, arg_max(touchpoint_index, step) as last_touchpoint
    from steps
    group by journey
),

per_journey as (  -- a journey has a row of journey_touchpoints per touchpoint of its path
    select touchpoint_index, count(*) as journeys
    from journey_touchpoints
    where definition = $definition
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
        f.mean_score,
        t.touchpoint_index
    from definition_touchpoints as t
    left join per_event as e using (touchpoint_index)
    left join feelings as f on f.definition = $definition and f.touchpoint = t.touchpoint
    left join per_journey as j using (touchpoint_index)
    left join exits as x using (touchpoint_index)
)

select * exclude (touchpoint_index) from final order by touchpoint_index
