-- One row per loaded event with the identifier its person is found by: its most stable one, the
-- customer id, else the user id, else the e-mail hash, else the anonymous id.
create or replace view keyed_events as
select
    *,
    case when customer_id is not null then 'customer_id' when user_id is not null then 'user_id'
         when email_hash is not null then 'email_hash' else 'anonymous_id' end as id_kind,
    coalesce(customer_id, user_id, email_hash, anonymous_id) as id_value
from events
