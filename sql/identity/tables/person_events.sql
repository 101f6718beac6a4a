-- One row per loaded event, with the person of its most stable identifier (keyed_events).
create or replace view person_events as
select i.person_id, e.* exclude (id_kind, id_value)
from keyed_events as e
join identities as i using (id_kind, id_value)
