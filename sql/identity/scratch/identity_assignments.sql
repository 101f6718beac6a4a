-- One row per identifier of the build with its component and person. A component is known by the
-- keyed hash of its first identifier (stable across builds while its identifiers stay together); its
-- person is that same hash, or, in a component with more identifiers than $max_ids (shared devices,
-- bots), the identifier's own.
-- parameters: max_ids
create or replace temp table identity_assignments as
with labelled as (
    select n.node, n.kind_rank, n.id_kind, n.id_value, l.label
    from identity_nodes as n
    join identity_labels as l using (node)
),

components as (
    select label, count(*) as component_identifiers
    from labelled
    group by label
),

keyed as (
    select c.label, c.component_identifiers, keyed_hash(first.id_kind || ':' || first.id_value) as component_id
    from components as c
    join identity_nodes as first on first.node = c.label
),

final as (
    select
        l.id_kind,
        l.id_value,
        l.kind_rank,
        k.component_id,
        k.component_identifiers,
        k.component_identifiers > $max_ids as oversize,
        case
            when k.component_identifiers > $max_ids then keyed_hash(l.id_kind || ':' || l.id_value)
            else k.component_id
        end as person_id
    from labelled as l
    join keyed as k using (label)
)

select * from final
