-- One row per identifier node with a smaller (or equal) component label than before: the least
-- label among its neighbours, then followed one hop (pointer jumping), so that labels settle on each
-- component's smallest node in few rounds; moved says whether the node's label changed in this round.
create or replace temp table identity_labels_next as
with labels as (
    select node, label from identity_labels
),

neighbour_least as (
    select l.node, min(n.label) as label
    from identity_links as l
    join labels as n on n.node = l.neighbour
    group by l.node
),

hooked as (
    select labels.node, least(labels.label, coalesce(neighbour_least.label, labels.label)) as label,
           labels.label as before
    from labels
    left join neighbour_least using (node)
),

final as (
    select h.node, least(h.label, target.label) as label, least(h.label, target.label) <> h.before as moved
    from hooked as h
    join hooked as target on target.node = h.label
)

select * from final
