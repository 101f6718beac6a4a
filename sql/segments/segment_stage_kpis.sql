-- Replaces the definition's rows of segment_stage_kpis: per segment value and stage (every stage, zeros
-- included), the stage KPIs of stage_kpis counted over the value's journeys alone.
-- parameters: definition
insert into segment_stage_kpis
with journey_stages as (
    select distinct s.journey_key, t.stage_index
    from journey_steps as s
    join definition_touchpoints as t using (touchpoint_index)
    where s.definition = $definition
),

reached as (
    select v.segment, v.value, js.stage_index, count(*) as journeys_reached
    from journey_segment_values as v
    join journey_stages as js using (journey_key)
    group by v.segment, v.value, js.stage_index
),

dropped as (
    select v.segment, v.value, st.stage_index, count(*) as journeys_dropped
    from journey_segment_values as v
    join journeys as j using (journey_key)
    join definition_stages as st on st.stage = j.furthest_stage
    where not j.converted
    group by v.segment, v.value, st.stage_index
),

segment_values as (
    select distinct segment_index, segment, value from journey_segment_values
)

select
    $definition as definition,
    v.segment,
    v.segment_index as segment_order,
    v.value,
    st.stage,
    st.stage_index as stage_order,
    coalesce(r.journeys_reached, 0) as journeys_reached,
    coalesce(d.journeys_dropped, 0) as journeys_dropped,
    coalesce(d.journeys_dropped, 0) / nullif(r.journeys_reached, 0) as drop_off_rate
from segment_values as v
cross join definition_stages as st
left join reached as r on r.segment = v.segment and r.value = v.value and r.stage_index = st.stage_index
left join dropped as d on d.segment = v.segment and d.value = v.value and d.stage_index = st.stage_index
order by v.segment_index, v.value, st.stage_index
