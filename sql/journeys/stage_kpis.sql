-- Replaces the definition's rows of stage_kpis: one row per stage of the definition, zeros included.
-- parameters: definition
insert into stage_kpis
with steps as (  -- every path step of the definition's journeys, with its touchpoint's stage and goal
    select s.journey_key as journey, s.step, s.touchpoint_index, t.stage_index, t.goal, s.step_at
    from journey_steps as s
    join definition_touchpoints as t using (touchpoint_index)
    where s.definition = $definition
),

journey_facts as (
    select journey, bool_or(goal) as converted, max(stage_index) as highest_stage, min(step_at) as first_step_at
    from steps
    group by journey
),

reached as (
    select s.journey, s.stage_index, min(s.step_at) as reached_at
    from steps as s
    group by s.journey, s.stage_index
),

per_stage as (
    select
        r.stage_index,
        count(*) as journeys_reached,
        median(epoch_us(r.reached_at) - epoch_us(j.first_step_at)) / 1e6 as median_s_to_reach  -- exact in microseconds
    from reached as r
    join journey_facts as j using (journey)
    group by r.stage_index
),

dropped as (
    select highest_stage as stage_index, count(*) as journeys_dropped
    from journey_facts
    where not converted
    group by highest_stage
),

final as (
    select
        $definition as definition,
        st.stage,
        st.stage_index as stage_order,
        coalesce(p.journeys_reached, 0) as journeys_reached,
        coalesce(d.journeys_dropped, 0) as journeys_dropped,
        coalesce(d.journeys_dropped, 0) / nullif(p.journeys_reached, 0) as drop_off_rate,
        p.median_s_to_reach
    from definition_stages as st
    left join per_stage as p using (stage_index)
    left join dropped as d using (stage_index)
)

select * from final order by stage_order
