-- Adds the persons of the build: one row per person of its identifiers. A person lies inside one
-- component, so its events are exactly those whose most stable identifier is one of the build's.
insert into persons
with events_keyed as (
    select
        case when customer_id is not null then 'customer_id' when user_id is not null then 'user_id'
             when email_hash is not null then 'email_hash' else 'anonymous_id' end as person_key_kind,
        coalesce(customer_id, user_id, email_hash, anonymous_id) as person_key_value,
        occurred_at
    from events
),

activity as (
    select a.person_id, count(*) as events, min(e.occurred_at) as first_seen_at, max(e.occurred_at) as last_seen_at
    from events_keyed as e
    join identity_assignments as a on a.id_kind = e.person_key_kind and a.id_value = e.person_key_value
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
