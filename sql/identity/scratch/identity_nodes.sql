-- One row per identifier this build links: those on the build's rows and the stored members of the
-- components they touch. Typed (an anonymous id "x" is not a user id "x"), numbered in the order
-- that picks a component's first identifier: customer_id, user_id, email, anonymous_id, then by
-- text in code-point order.
create or replace temp table identity_nodes as
with identifiers as (
    select 0 as kind_rank, 'customer_id' as id_kind, customer_id as id_value from identity_rows
    union all
    select 1, 'user_id', user_id from identity_rows
    union all
    select 2, 'email_hash', email_hash from identity_rows
    union all
    select 3, 'anonymous_id', anonymous_id from identity_rows
    union all
    select
        case id_kind when 'customer_id' then 0 when 'user_id' then 1 when 'email_hash' then 2 else 3 end,
        id_kind,
        id_value
    from identity_members
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
