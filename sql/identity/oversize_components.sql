-- Adds the components of the build kept apart for their size.
insert into oversize_components
select component_id, any_value(component_identifiers) as identifiers
from identity_assignments
where oversize
group by component_id
order by identifiers desc, component_id
