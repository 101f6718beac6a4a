-- One row per loaded event, with the person of its most stable identifier.
create or replace view person_events as
with events_keyed as (
    select
        *,
        case when customer_id is not null then 'customer_id' when user_id is not null then 'user_id'
             when email_hash is not null then 'email_hash' else 'anonymous_id' end as person_key_kind,
        coalesce(customer_id, user_id, email_hash, anonymous_id) as person_key_value
    from events
),

final as (
    select i.person_id, e.* exclude (person_key_kind, person_key_value)
    from events_keyed as e
    join identities as i on i.id_kind = e.person_key_kind and i.id_value = e.person_key_value
)

select * from final
