-- Rebuilds persons: one row per person with at least one event.
insert into persons
with identifiers as (
    select person_id, count(*) as identifiers from identities group by person_id
),

activity as (
    select person_id, count(*) as events, min(occurred_at) as first_seen_at, max(occurred_at) as last_seen_at
    from person_events
    group by person_id
),

final as (
    select a.person_id, i.identifiers, a.events, a.first_seen_at, a.last_seen_at
    from activity as a
    join identifiers as i using (person_id)
)

select * from final order by person_id
