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
        list({'t': t, 'ks': ks} order by t, first_step, event_id) as person_events
    from events
    group by funnel, person_id
),

final as (
    select
        funnel,
        person_id,
        list_reduce(
            person_events,
            lambda acc, e: funnel_next(acc, e, funnel_choice(acc, e, window_us), strict),
            {'slots': list_transform(range(steps), lambda s: {'id': 0, 'start': 0::bigint, 'times': []::bigint[]}),
             'next_id': 1,
             'best_times': []::bigint[]}
        ).best_times as step_times
    from per_person
)

select * from final
