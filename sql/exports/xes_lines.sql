-- journeys.xes: one line of XML per path step, in journey id and step order: its <event> (activity =
-- touchpoint, with its stage and time), the first step of a journey opening the journey's <trace>
-- (named by its journey id), the last one closing it. Per step rather than one aggregate per trace,
-- so that DuckDB's sort can spill: at 10 million journeys the traces' text does not fit in memory.
-- parameters: definition
with steps as (
    select journey_id, step, touchpoint, stage, step_at
    from path_steps
    where definition = $definition
),

last_steps as (
    select journey_id, max(step) as last_step from steps group by journey_id
),

final as (
    select
        s.journey_id,
        s.step,
        case when s.step = 1 then '<trace><string key="concept:name" value="' || s.journey_id || '"/>' else '' end
            || '<event><string key="concept:name" value="'
            || replace(replace(replace(replace(s.touchpoint, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
            || '"/><string key="stage" value="'
            || replace(replace(replace(replace(s.stage, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
            || '"/><date key="time:timestamp" value="' || strftime(s.step_at, '%Y-%m-%dT%H:%M:%S.%f') || '+00:00"/>'
            || '</event>'
            || case when s.step = l.last_step then '</trace>' else '' end as line
    from steps as s
    join last_steps as l using (journey_id)
)

select line from final order by journey_id, step
