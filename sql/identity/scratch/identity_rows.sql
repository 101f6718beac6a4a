-- One row per distinct combination of identifiers on the events loaded after file $after_file_id:
-- the rows whose links this identity build adds (every loaded row when $after_file_id is 0).
-- parameters: after_file_id
create or replace temp table identity_rows as
select distinct customer_id, user_id, email_hash, anonymous_id
from events
where file_id > $after_file_id
