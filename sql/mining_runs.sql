-- Replaces the definition's row of mining_runs with the counts of the run in progress.
insert into mining_runs
with events as (
    select
        count(*) filter (where in_scope) as in_scope,
        count(*) filter (where not in_scope) as out_of_scope,
        count(*) filter (where touchpoint_index is not null) as mapped,
        count(*) filter (where in_scope and touchpoint_index is null) as unmapped
    from classified_events
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
