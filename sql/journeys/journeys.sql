-- Replaces the definition's rows of journeys: one row per journey.
-- parameters: definition
insert into journeys
with events as (
    select person_id, journey_number, min(occurred_at) as start_at, max(occurred_at) as end_at
    from journey_events
    group by person_id, journey_number
),

paths as (
    select
        journey_id,
        person_id,
        journey_number,
        count(*) as steps,
        string_agg(touchpoint, ' > ' order by step) as path,
        max(stage_index) as furthest_stage_index,
        bool_or(goal) as converted
    from pass_steps
    group by journey_id, person_id, journey_number
),

deviating as (
    select distinct journey_id from pass_transitions where kind <> 'expected'
),

final as (
    select
        p.journey_id,
        p.person_id,
        $definition as definition,
        e.start_at,
        e.end_at,
        p.steps,
        p.path,
        s.stage as furthest_stage,
        p.converted,
        d.journey_id is null as conforms
    from paths as p
    join events as e using (person_id, journey_number)
    join definition_stages as s on s.stage_index = p.furthest_stage_index
    left join deviating as d using (journey_id)
)

select * from final
