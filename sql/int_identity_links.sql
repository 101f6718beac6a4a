-- One row per (node, neighbour), both directions: identifiers that appear on the same loaded row.
-- Each row's identifiers are linked to the row's most stable one, which connects them all.
create or replace temp table identity_links as
with row_identifiers as (
    select distinct customer_id, user_id, email_hash, anonymous_id from events
),

rooted as (
    select
        case when customer_id is not null then 0 when user_id is not null then 1
             when email_hash is not null then 2 else 3 end as root_rank,
        coalesce(customer_id, user_id, email_hash, anonymous_id) as root_value,
        *
    from row_identifiers
),

pairs as (
    select root_rank, root_value, 1 as kind_rank, user_id as id_value from rooted where root_rank < 1 and user_id is not null
    union all
    select root_rank, root_value, 2, email_hash from rooted where root_rank < 2 and email_hash is not null
    union all
    select root_rank, root_value, 3, anonymous_id from rooted where root_rank < 3 and anonymous_id is not null
),

node_pairs as (
    select distinct root.node as node, other.node as neighbour
    from pairs as p
    join identity_nodes as root on root.kind_rank = p.root_rank and root.id_value = p.root_value
    join identity_nodes as other on other.kind_rank = p.kind_rank and other.id_value = p.id_value
),

final as (
    select node, neighbour from node_pairs
    union all
    select neighbour, node from node_pairs
)

select * from final
