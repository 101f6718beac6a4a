-- One row per (funnel of order any, mapped event of the persons of mining pass $mining_pass whose
-- touchpoint is at a step of it): the funnel's steps the touchpoint has and the lowest of them.
-- parameters: mining_pass
create or replace temp table funnel_events as
with mapped as (
    select person_key, event_id, source, t, touchpoint_index
    from classified_events
    where touchpoint_index is not null and mining_pass = $mining_pass
),

steps as (
    select funnel, touchpoint_index, list(step order by step desc) as ks, min(step) as first_step
    from definition_funnel_steps
    where funnel_kind = 'any'
    group by funnel, touchpoint_index
),

funnels as (
    select distinct funnel, window_us, steps from definition_funnel_steps where funnel_kind = 'any'
),

final as (
    select f.funnel, f.window_us, f.steps, m.person_key, m.event_id, m.source, m.t, s.ks, s.first_step
    from mapped as m
    join steps as s using (touchpoint_index)
    join funnels as f using (funnel)
)

select * from final
