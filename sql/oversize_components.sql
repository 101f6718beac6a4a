-- Rebuilds oversize_components: one row per identity component kept apart for its size.
insert into oversize_components
select component_id, any_value(component_identifiers) as identifiers
from identity_assignments
where oversize
group by component_id
order by identifiers desc, component_id
