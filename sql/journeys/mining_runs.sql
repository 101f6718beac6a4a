-- Replaces the definition's row of mining_runs with the counts of the run in progress.
-- parameters: definition, since, until
insert into mining_runs
with events as (
    select
        coalesce(sum(in_scope), 0)::bigint as in_scope,
        coalesce(sum(out_of_scope), 0)::bigint as out_of_scope,
        coalesce(sum(mapped), 0)::bigint as mapped,
        coalesce(sum(unmapped), 0)::bigint as unmapped
    from mined_persons
    where definition = $definition
),

mined as (
    select
        count(distinct person_id) as persons,
        count(*) as journeys,
        count(*) filter (where converted) as converted
    from journeys
    where definition = $definition
),

final as (
    select $definition as definition, now() as mined_at, $since::date as since, $until::date as until,
           events.*, mined.*
    from events, mined
)

select * from final
