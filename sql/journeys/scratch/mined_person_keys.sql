-- One row per person mined in this run (everyone, or the persons in touched_persons): a compact
-- integer key, which the mining's sorts and joins use instead of the 64-character person_id, and the
-- mining pass of the person (a hash bucket of $passes).
-- parameters: everyone, passes
create or replace temp table mined_person_keys as
select person_id, row_number() over () as person_key, hash(person_id) % $passes as mining_pass
from persons
where $everyone or person_id in (select person_id from touched_persons)
