-- One row per mapped event of the persons of mining pass $mining_pass, with its journey: a person's
-- mapped events in (timestamp, event_id, source) order (source last: clickstream before crm when two
-- events share an id and a time), cut after a gap longer than $inactivity_s and, with $end_on_goal,
-- after a goal event. Also whether the event starts a path step ($collapse_repeats merges
-- consecutive repeats).
-- parameters: mining_pass, inactivity_s, end_on_goal, collapse_repeats
create or replace temp table journey_events as
with mapped as (
    select c.person_id, c.event_id, c.source, c.occurred_at, c.score, c.score_kind, c.touchpoint_index, t.goal
    from classified_events as c
    join definition_touchpoints as t using (touchpoint_index)
    where c.mining_pass = $mining_pass
),

ordered as (
    select
        *,
        lag(occurred_at) over person_order as previous_at,
        lag(goal) over person_order as previous_goal,
        lag(touchpoint_index) over person_order as previous_touchpoint
    from mapped
    window person_order as (partition by person_id order by occurred_at, event_id, source)
),

flagged as (
    select
        *,
        previous_at is null
            or epoch_us(occurred_at) - epoch_us(previous_at) > $inactivity_s::bigint * 1000000
            or ($end_on_goal and previous_goal) as starts_journey
    from ordered
),

final as (
    select
        person_id,
        sum(starts_journey::integer) over (
            partition by person_id order by occurred_at, event_id, source rows unbounded preceding
        ) as journey_number,
        event_id,
        source,
        occurred_at,
        score,
        score_kind,
        touchpoint_index,
        goal,
        starts_journey or not $collapse_repeats or previous_touchpoint <> touchpoint_index as starts_step
    from flagged
)

select * from final
