-- The Spark engine's mining: one row per loaded event with its identifier's row of identities, its person's
-- row of persons (person_… columns) and the bucket of persons it is mined in (a hash of person_id modulo
-- $buckets). journey_mining/spark.py mines each bucket with the product's DuckDB code.
-- parameters: buckets
with keyed as (
    select e.*, i.person_id, i.component_id, i.component_identifiers, i.oversize
    from keyed_events as e
    join identities as i using (id_kind, id_value)
)

select
    hash(k.person_id) % $buckets as bucket,
    k.*,
    p.identifiers as person_identifiers,
    p.events as person_events,
    p.first_seen_at as person_first_seen_at,
    p.last_seen_at as person_last_seen_at
from keyed as k
join persons as p using (person_id)
