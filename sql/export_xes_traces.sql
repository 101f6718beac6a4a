-- journeys.xes: one line of XML per journey, a <trace> named by its journey id with one <event> per
-- path step (activity = touchpoint, with its stage and time), in journey id and step order.
with events as (
    select
        journey_id,
        step,
        '<event><string key="concept:name" value="'
            || replace(replace(replace(replace(touchpoint, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
            || '"/><string key="stage" value="'
            || replace(replace(replace(replace(stage, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
            || '"/><date key="time:timestamp" value="' || strftime(step_at, '%Y-%m-%dT%H:%M:%S.%f') || '+00:00"/>'
            || '</event>' as event
    from path_steps
    where definition = $definition
)

select '<trace><string key="concept:name" value="' || journey_id || '"/>' || string_agg(event, '' order by step)
       || '</trace>' as trace
from events
group by journey_id
order by journey_id
