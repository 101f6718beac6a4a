-- Replaces the definition's rows of funnels: one row per funnel step, over persons: how many got at
-- least that far, the conversion rates, and the seconds from the previous step.
-- parameters: definition
insert into funnels
with progress as (
    select funnel, person_id, step_times from funnel_persons where definition = $definition
),

steps as (
    select funnel, funnel_order, step, step_name from definition_funnel_steps
),

reached as (
    select
        s.funnel,
        s.step,
        count(*) as persons,
        -- in whole microseconds (summed as decimals, which no engine overflows), so exact whatever the order
        -- persons are added in
        sum((p.step_times[s.step] - p.step_times[s.step - 1])::decimal(38, 0)) filter (where s.step > 1)::double
            / count(*) filter (where s.step > 1) / 1e6 as mean_s,
        median(p.step_times[s.step] - p.step_times[s.step - 1]) filter (where s.step > 1) / 1e6 as median_s
    from progress as p
    join steps as s on s.funnel = p.funnel and array_length(p.step_times) >= s.step
    group by s.funnel, s.step
),

counted as (
    select s.funnel, s.funnel_order, s.step, s.step_name, coalesce(r.persons, 0) as persons, r.mean_s, r.median_s
    from steps as s
    left join reached as r using (funnel, step)
),

final as (
    select
        $definition as definition,
        funnel,
        step,
        step_name,
        persons,
        persons / nullif(first_value(persons) over funnel_steps, 0) as conversion_rate_from_start,
        persons / nullif(coalesce(lag(persons) over funnel_steps, persons), 0) as conversion_rate_from_previous,
        mean_s,
        median_s,
        funnel_order
    from counted
    window funnel_steps as (partition by funnel order by step)
)

select * exclude (funnel_order) from final order by funnel_order, step
