-- Fills identity_members: every identifier of every stored component that an identifier of the new
-- rows belongs to. Those components can merge with each other and with new identifiers, and an
-- untouched component cannot change, so these plus the new rows' identifiers are all a build relinks.
insert into identity_members
with new_identifiers as (
    select 'customer_id' as id_kind, customer_id as id_value from identity_rows where customer_id is not null
    union
    select 'user_id', user_id from identity_rows where user_id is not null
    union
    select 'email_hash', email_hash from identity_rows where email_hash is not null
    union
    select 'anonymous_id', anonymous_id from identity_rows where anonymous_id is not null
),

touched_components as (
    select distinct i.component_id
    from identities as i
    join new_identifiers as n using (id_kind, id_value)
),

final as (
    select i.id_kind, i.id_value, i.component_id
    from identities as i
    where i.component_id in (select component_id from touched_components)
)

select * from final
