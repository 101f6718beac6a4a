-- One row per identifier with its person: the component's first identifier, or, in a component with
-- more identifiers than $max_ids (shared devices, bots), the identifier itself.
create or replace temp table identity_assignments as
with labelled as (
    select n.node, n.kind_rank, n.id_kind, n.id_value, l.label
    from identity_nodes as n
    join identity_labels as l using (node)
),

sized as (
    select *, count(*) over (partition by label) as component_identifiers
    from labelled
),

final as (
    select
        s.id_kind,
        s.id_value,
        s.kind_rank,
        s.label as component_id,
        s.component_identifiers,
        s.component_identifiers > $max_ids as oversize,
        case
            when s.component_identifiers > $max_ids then keyed_hash(s.id_kind || ':' || s.id_value)
            else keyed_hash(first.id_kind || ':' || first.id_value)
        end as person_id
    from sized as s
    join identity_nodes as first on first.node = s.label
)

select * from final
