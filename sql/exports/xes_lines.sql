-- journeys.xes, whole: one line of XML per path step, in journey id and step order: its <event>
-- (activity = touchpoint, with its stage and time), the first step of a journey opening the journey's
-- <trace> (named by its journey id), the last one closing it; the log's head $head rides on the first
-- line and its closing tag $tail on the last. The steps are sorted while narrow and the text is made
-- after, once per touchpoint for the escaped names, so that DuckDB writes the file (COPY) without
-- holding the lines: at 10 million journeys they do not fit in memory.
-- parameters: definition, head, tail
with steps as (
    select journey_id, step, touchpoint, stage, step_at, count(*) over (partition by journey_id) as steps
    from path_steps
    where definition = $definition
),

ends as (
    select min(journey_id) as first_journey, max(journey_id) as last_journey from steps
),

openings as (
    select
        touchpoint,
        stage,
        '<event><string key="concept:name" value="'
            || replace(replace(replace(replace(touchpoint, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
            || '"/><string key="stage" value="'
            || replace(replace(replace(replace(stage, '&', '&amp;'), '<', '&lt;'), '>', '&gt;'), '"', '&quot;')
            || '"/><date key="time:timestamp" value="' as opening
    from (select distinct touchpoint, stage from steps)
),

ordered as (
    select
        s.journey_id,
        s.step,
        s.step = 1 and s.journey_id = e.first_journey as opens_log,
        s.step = s.steps as closes_trace,
        s.step = s.steps and s.journey_id = e.last_journey as closes_log,
        o.opening,
        s.step_at
    from steps as s
    join openings as o using (touchpoint, stage)
    cross join ends as e
    order by s.journey_id, s.step
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
