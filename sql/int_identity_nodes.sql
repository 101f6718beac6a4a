-- One row per identifier seen on a loaded event, typed (an anonymous id "x" is not a user id "x"),
-- numbered in the order that picks a component's first identifier: customer_id, user_id, email,
-- anonymous_id, then by text in code-point order.
create or replace temp table identity_nodes as
with row_identifiers as (
    select distinct customer_id, user_id, email_hash, anonymous_id from events
),

identifiers as (
    select 0 as kind_rank, 'customer_id' as id_kind, customer_id as id_value from row_identifiers
    union all
    select 1, 'user_id', user_id from row_identifiers
    union all
    select 2, 'email_hash', email_hash from row_identifiers
    union all
    select 3, 'anonymous_id', anonymous_id from row_identifiers
),

final as (
    select
        row_number() over (order by kind_rank, id_value) - 1 as node,
        kind_rank,
        id_kind,
        id_value
    from (select distinct kind_rank, id_kind, id_value from identifiers where id_value is not null)
)

select * from final
