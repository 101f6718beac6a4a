-- One row per accepted row (no reject reason) of the current ingest run, with its outcome:
-- 'loaded' (first row of its (source, event_id) key), 'duplicate' (same content as that first row)
-- or 'conflict' (different content; quarantined, the first row stays). Parameter: $source.
create or replace temp table ingest_outcomes as
with accepted as (
    select * from ingest_rows where reason is null
),

first_rows as (
    -- the first row of each event id in this run, by position (file, then line)
    select event_id, min(file_id::bigint << 40 | line) as first_position
    from accepted
    group by event_id
),

ranked as (
    select a.*, case when (a.file_id::bigint << 40 | a.line) = f.first_position then 1 else 2 end as key_rank
    from accepted as a
    join first_rows as f using (event_id)
),

stored as (
    select *
    from events
    where source = $source
      and event_id in (select event_id from accepted)
),

first_of_key as (
    select event_id, anonymous_id, user_id, customer_id, email_hash, occurred_at, event, page_url,
           referrer, utm_source, utm_medium, utm_campaign, object, action, channel, amount, score,
           properties::varchar as properties
    from stored
    union all
    select event_id, anonymous_id, user_id, customer_id, email_hash, occurred_at, event, page_url,
           referrer, utm_source, utm_medium, utm_campaign, object, action, channel, amount, score,
           properties
    from ranked
    where key_rank = 1 and event_id not in (select event_id from stored)
),

repeats as (
    -- rows whose key was seen before: in the database, or earlier in this run
    select r.*
    from ranked as r
    where r.key_rank > 1 or r.event_id in (select event_id from stored)
),

compared as (
    select
        r.file_id,
        r.line,
        case
            when r.anonymous_id is not distinct from f.anonymous_id
             and r.user_id is not distinct from f.user_id
             and r.customer_id is not distinct from f.customer_id
             and r.email_hash is not distinct from f.email_hash
             and r.occurred_at = f.occurred_at
             and r.event is not distinct from f.event
             and r.page_url is not distinct from f.page_url
             and r.referrer is not distinct from f.referrer
             and r.utm_source is not distinct from f.utm_source
             and r.utm_medium is not distinct from f.utm_medium
             and r.utm_campaign is not distinct from f.utm_campaign
             and r.object is not distinct from f.object
             and r.action is not distinct from f.action
             and r.channel is not distinct from f.channel
             and r.amount is not distinct from f.amount
             and r.score is not distinct from f.score
             and same_properties(r.properties, f.properties)
            then 'duplicate'
            else 'conflict'
        end as outcome
    from repeats as r
    join first_of_key as f using (event_id)
),

final as (
    select file_id, line, 'loaded' as outcome
    from ranked
    where key_rank = 1 and event_id not in (select event_id from stored)
    union all
    select file_id, line, outcome from compared
)

select * from final
