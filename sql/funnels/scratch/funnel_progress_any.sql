-- One row per (funnel of order `any`, person with an event of a step): the step times of the
-- person's best attempt. An attempt starts at any event of a step; its level is the number of
-- distinct steps with an event at most window_us after the start (start included); the earliest
-- attempt of the highest level counts, its times being the first event of each of those steps.
create or replace temp table funnel_progress_any as
with events as (
    select * from funnel_events
),

step_events as (
    select funnel, person_key, t, unnest(ks) as step from events
),

start_steps as (
    select
        e.funnel, e.person_key, e.event_id, e.source, e.first_step, e.t as start_t, e.window_us, numbered.step
    from events as e
    cross join lateral (select range as step from range(1, e.steps + 1)) as numbered
),

firsts as (
    -- the first event of each step at or after the start
    select s.*, x.t as first_t
    from start_steps as s
    asof left join step_events as x
      on x.funnel = s.funnel and x.person_key = s.person_key and x.step = s.step and s.start_t <= x.t
),

attempts as (
    select
        funnel,
        person_key,
        event_id,
        source,
        first_step,
        start_t,
        coalesce(list(first_t order by first_t)
                 filter (where first_t is not null and (window_us is null or first_t - start_t <= window_us)),
                 []::bigint[]) as step_times
    from firsts
    group by funnel, person_key, event_id, source, first_step, start_t
),

ranked as (
    select
        *,
        row_number() over (
            partition by funnel, person_key
            order by len(step_times) desc, start_t, first_step, event_id, source
        ) as place
    from attempts
),

final as (
    select funnel, person_key, step_times from ranked where place = 1
)

select * from final
