-- step_transitions(path_steps_table): one row per directly-follows pair of a journey's path in the
-- table so named (scratch/pass_steps or scratch/mined_steps), including (start) -> first step and last
-- step -> (end), with the seconds between the two steps and the conformance kind: expected (same
-- stage, next stage, or listed in `allowed`), skip, backward; (start) into a stage other than the
-- first is an entry. A table macro, so that one pass's journeys (scratch/pass_transitions) and
-- everyone's (scratch/mined_transitions) are paired by the one rule.
create or replace temp macro step_transitions(path_steps_table) as table
with steps as (
    select journey_id, step, touchpoint, stage_index, step_at from query_table(path_steps_table)
),

paired as (
    -- steps are numbered 1, 2, … within a journey, so the next step is a join (cheaper than a window)
    select
        s.journey_id,
        s.step,
        s.touchpoint as source,
        s.stage_index as source_stage,
        s.step_at as source_at,
        n.touchpoint as target,
        n.stage_index as target_stage,
        n.step_at as target_at
    from steps as s
    left join steps as n on n.journey_id = s.journey_id and n.step = s.step + 1
),

between_steps as (
    select
        p.journey_id,
        p.step,
        p.source,
        p.target,
        (epoch_us(p.target_at) - epoch_us(p.source_at)) / 1e6 as seconds,
        case
            when p.target_stage in (p.source_stage, p.source_stage + 1) or a.source is not null then 'expected'
            when p.target_stage > p.source_stage + 1 then 'skip'
            else 'backward'
        end as kind
    from paired as p
    left join definition_allowed as a on a.source = p.source and a.target = p.target
    where p.target is not null
),

starts as (
    select journey_id, 0 as step, '(start)' as source, touchpoint as target, null::double as seconds,
           case when stage_index = 0 then 'expected' else 'entry' end as kind
    from steps
    where step = 1
),

ends as (
    select journey_id, step, source, '(end)' as target, null::double as seconds, 'expected' as kind
    from paired
    where target is null
),

final as (
    select * from starts
    union all
    select * from between_steps
    union all
    select * from ends
)

select * from final
