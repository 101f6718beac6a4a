-- One row per touchpoint of the definition whose steps in (transitions with it as target) differ from
-- its steps out (transitions with it as source). Every path starts at (start) and ends at (end), so
-- into every touchpoint as many steps lead as leave it; (start) and (end) themselves are not touchpoints.
-- parameters: definition
with edges as (
    select source, target, transitions
    from transitions
    where definition = $definition
),

steps_in as (
    select target as touchpoint, sum(transitions) as steps_in
    from edges
    where target <> '(end)'
    group by target
),

steps_out as (
    select source as touchpoint, sum(transitions) as steps_out
    from edges
    where source <> '(start)'
    group by source
),

final as (
    select touchpoint, coalesce(steps_in, 0) as steps_in, coalesce(steps_out, 0) as steps_out
    from steps_in
    full join steps_out using (touchpoint)
    where coalesce(steps_in, 0) <> coalesce(steps_out, 0)
)

select * from final order by touchpoint
