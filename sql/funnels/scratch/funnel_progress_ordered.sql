-- One row per (sequential or strict funnel, person with an event in it): the step times of the first
-- attempt that reached the person's furthest step, found by reading the person's events in order.
create or replace temp table funnel_progress_ordered as
with events as (
    select * from funnel_events where funnel_kind in ('sequential', 'strict')
),

per_person as (
    select
        funnel,
        person_id,
        any_value(funnel_kind) = 'strict' as strict,
        any_value(window_us) as window_us,
        any_value(steps) as steps,
        list({'t': t, 'ks': ks} order by t, first_step, event_id, source) as person_events
    from events
    group by funnel, person_id
),

bounded as (
    -- Only events from the first that has step 1 to the last that has a later step can change the
    -- result: before it nothing is held (an event fills step 1 or nothing), after it an event can only
    -- start or drop attempts that no event advances, and step 1 is already recorded.
    select
        *,
        list_position(list_transform(person_events, lambda e: list_contains(e.ks, 1)), true) as first_start,
        len(person_events) + 1 - coalesce(list_position(
            list_reverse(list_transform(person_events, lambda e: coalesce(list_max(e.ks), 0) > 1)), true),
            len(person_events) + 1) as last_advance
    from per_person
),

final as (
    select
        funnel,
        person_id,
        case when first_start is null then []::bigint[] else list_reduce(
            list_slice(person_events, first_start, greatest(first_start, last_advance)),
            -- the steps the event fills, bound once (a one-element list_transform) rather than worked out
            -- again at each of funnel_next's uses: 1.5x less CPU time for the fold
            lambda acc, e: list_transform([funnel_choice(acc, e, window_us)],
                                          lambda ks: funnel_next(acc, e, ks, strict))[1],
            {'slots': list_transform(range(steps), lambda s: {'id': 0, 'start': 0::bigint, 'times': []::bigint[]}),
             'next_id': 1,
             'best_times': []::bigint[]}
        ).best_times end as step_times
    from bounded
)

select * from final
