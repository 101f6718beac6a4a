-- journeys.xes, whole: one line of XML per path step, in journey id and step order: its <event>
-- (activity = touchpoint, with its stage and time), the first step of a journey opening the journey's
-- <trace> (named by its journey id), the last one closing it; the log's head $head rides on the first
-- line and its closing tag $tail on the last. The journeys are put in id order once, the steps sorted
-- by integers, and the text is made after, the escaped names once per touchpoint, so that DuckDB
-- writes the file (COPY) without holding the lines: at 10 million journeys they do not fit in memory.
-- parameters: definition, head, tail
with journeys_in_order as (
    select
        journey_key,
        journey_id,
        steps,
        row_number() over (order by journey_id) as position,
        count(*) over () as journeys
    from journeys
    where definition = $definition
),

openings as (
    select
        touchpoint_index,
        '<event><string key="concept:name" value="'
            || replace(replace(replace(replace(touchpoint, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
            || '"/><string key="stage" value="'
            || replace(replace(replace(replace(stage, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
            || '"/><date key="time:timestamp" value="' as opening
    from mined_touchpoints
    where definition = $definition
),

ordered as (
    select
        j.journey_id,
        s.step,
        s.step = 1 and j.position = 1 as opens_log,
        s.step = j.steps as closes_trace,
        s.step = j.steps and j.position = j.journeys as closes_log,
        o.opening,
        s.step_at
    from journey_steps as s
    join journeys_in_order as j using (journey_key)
    join openings as o using (touchpoint_index)
    where s.definition = $definition
    order by j.position, s.step
),

final as (  -- made after the sort, in its order
    select
        case when opens_log then $head else '' end
            || case when step = 1 then '<trace><string key="concept:name" value="' || journey_id || '"/>' else '' end
            || opening || strftime(step_at, '%Y-%m-%dT%H:%M:%S.%f') || '+00:00"/></event>'
            || case when closes_trace then '</trace>' else '' end
            || case when closes_log then $tail else '' end as line
    from ordered
)

select line from final
