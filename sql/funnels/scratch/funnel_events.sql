-- One row per (funnel, mapped event of the persons of mining pass $mining_pass): the funnel steps
-- the event's touchpoint has (last first) and its place in the funnel's reading order: timestamp,
-- then the lowest step number of its touchpoint (touchpoints in no step last), then event_id, then
-- source (clickstream before crm), so that two events of one id and time keep one order.
-- parameters: mining_pass
create or replace temp table funnel_events as
with mapped as (
    select person_id, event_id, source, epoch_us(occurred_at) as t, touchpoint_index
    from classified_events
    where touchpoint_index is not null and mining_pass = $mining_pass
),

steps as (
    select funnel, touchpoint_index, list(step order by step desc) as ks, min(step) as first_step
    from definition_funnel_steps
    group by funnel, touchpoint_index
),

funnels as (
    select distinct funnel, funnel_order, funnel_kind, window_us, steps from definition_funnel_steps
),

final as (
    select
        f.funnel,
        f.funnel_order,
        f.funnel_kind,
        f.window_us,
        f.steps,
        m.person_id,
        m.event_id,
        m.source,
        m.t,
        coalesce(s.ks, []::integer[]) as ks,
        coalesce(s.first_step, 2147483647) as first_step
    from mapped as m
    cross join funnels as f
    left join steps as s on s.funnel = f.funnel and s.touchpoint_index = m.touchpoint_index
    -- sequential funnels are not moved by events of other touchpoints; strict ones are (they drop)
    where s.ks is not null or f.funnel_kind = 'strict'
)

select * from final
