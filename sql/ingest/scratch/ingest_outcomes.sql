-- One row per repeat of the current ingest run (see ingest_repeats), run after the load, with its
-- outcome: 'duplicate' (same content as the first row of its key) or 'conflict' (different content;
-- quarantined, the first row stays). The first row of every key, from an earlier run or this one, is
-- in events by now. Every other accepted row was loaded.
-- parameters: source, tz, far_future_after
create or replace temp table ingest_outcomes as
with repeats as (
    select t.*
    from ingest_typed('ingest_set_aside', $source, $tz, $far_future_after) as t
    semi join ingest_repeats as r using (file_id, line)
),

first_of_key as (
    select event_id, anonymous_id, user_id, customer_id, email_hash, occurred_at, event, page_url,
           referrer, utm_source, utm_medium, utm_campaign, object, action, channel, amount, score,
           properties::varchar as properties
    from events
    where source = $source
      and event_id in (select event_id from ingest_repeats)
),

final as (
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
)

select * from final
