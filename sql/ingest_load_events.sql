-- Appends to events one row per row of the current run whose outcome is 'loaded'.
insert into events
with loaded as (
    select r.*
    from ingest_rows as r
    join ingest_outcomes as o using (file_id, line)
    where o.outcome = 'loaded'
),

final as (
    select source, event_id, anonymous_id, user_id, customer_id, email_hash, occurred_at, event,
           page_url, referrer, utm_source, utm_medium, utm_campaign, object, action, channel, amount,
           score, properties, file_id, line
    from loaded
)

select * from final
