-- Rebuilds identities: one row per identifier with its person.
insert into identities
select id_kind, id_value, person_id, component_identifiers, oversize
from identity_assignments
order by kind_rank, id_value
