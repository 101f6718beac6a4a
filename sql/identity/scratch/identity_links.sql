-- One row per (node, neighbour), both directions: identifiers that appear on the same row of the
-- build, and the stored members of one component. Each row's identifiers are linked to the row's most
-- stable one, and each stored component's members to its least node: either way connected as before.
create or replace temp table identity_links as
with rooted as (
    select
        case when customer_id is not null then 0 when user_id is not null then 1
             when email_hash is not null then 2 else 3 end as root_rank,
        coalesce(customer_id, user_id, email_hash, anonymous_id) as root_value,
        *
    from identity_rows
),

pairs as (
    select root_rank, root_value, 1 as kind_rank, user_id as id_value from rooted where root_rank < 1 and user_id is not null
    union all
    select root_rank, root_value, 2, email_hash from rooted where root_rank < 2 and email_hash is not null
    union all
    select root_rank, root_value, 3, anonymous_id from rooted where root_rank < 3 and anonymous_id is not null
),

row_pairs as (
    select root.node as node, other.node as neighbour
    from pairs as p
    join identity_nodes as root on root.kind_rank = p.root_rank and root.id_value = p.root_value
    join identity_nodes as other on other.kind_rank = p.kind_rank and other.id_value = p.id_value
),

member_nodes as (
    select m.component_id, n.node
    from identity_members as m
    join identity_nodes as n using (id_kind, id_value)
),

member_pairs as (
    select least_node.node, m.node as neighbour
    from member_nodes as m
    join (select component_id, min(node) as node from member_nodes group by component_id) as least_node
      using (component_id)
    where m.node <> least_node.node
),

node_pairs as (
    select distinct node, neighbour
    from (select * from row_pairs union all select * from member_pairs)
),

final as (
    select node, neighbour from node_pairs
    union all
    select neighbour, node from node_pairs
)

select * from final
