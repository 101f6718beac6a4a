-- One row per step of the path of a journey of the persons of this mining pass (from journey_events):
-- its touchpoint, number (from 1) and time (its first event's).
-- parameters: definition
create or replace temp table pass_steps as
with step_starts as (
    select
        person_id,
        journey_number,
        touchpoint_index,
        occurred_at,
        row_number() over (
            partition by person_id, journey_number order by occurred_at, event_id, source
        ) as step
    from journey_events
    where starts_step
),

final as (
    select
        md5($definition || chr(31) || person_id || chr(31) || journey_number::varchar) as journey_id,
        s.person_id,
        s.journey_number,
        s.step,
        s.touchpoint_index,
        t.touchpoint,
        t.stage_index,
        t.goal,
        s.occurred_at as step_at
    from step_starts as s
    join definition_touchpoints as t using (touchpoint_index)
)

select * from final
