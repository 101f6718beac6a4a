-- One row per journey of the pass (pass_journeys, cut by journey_mining/paths.py): its journey_id, a
-- digest of the definition, the person and the journey's number within the person; and its
-- journey_key, the next free keys in the pass's journey order.
-- parameters: definition
create or replace temp table pass_journey_ids as
select
    j.journey,
    (select coalesce(max(journey_key), 0) + 1 from journeys) + j.journey as journey_key,
    md5($definition || chr(31) || k.person_id || chr(31) || j.number::varchar) as journey_id,
    k.person_id
from pass_journeys as j
join mined_person_keys as k on k.person_key = j.person
