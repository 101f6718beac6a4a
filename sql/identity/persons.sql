-- Adds the persons of the build: one row per person of its identifiers. A person lies inside one
-- component, so its events are exactly those whose most stable identifier is one of the build's.
insert into persons
with activity as (
    select a.person_id, count(*) as events, min(e.occurred_at) as first_seen_at, max(e.occurred_at) as last_seen_at
    from keyed_events as e
    join identity_assignments as a using (id_kind, id_value)
    group by a.person_id
),

identifiers as (
    select person_id, count(*) as identifiers from identity_assignments group by person_id
),

final as (
    select a.person_id, i.identifiers, a.events, a.first_seen_at, a.last_seen_at
    from activity as a
    join identifiers as i using (person_id)
)

select * from final order by person_id
