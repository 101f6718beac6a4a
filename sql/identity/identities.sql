-- Adds the identifiers of the build with their persons (a full rebuild: all of them).
insert into identities
select id_kind, id_value, person_id, component_id, component_identifiers, oversize
from identity_assignments
order by kind_rank, id_value
