-- Appends to events every row of the current run that is not set aside: the first row of each new
-- (source, event_id) key.
-- parameters: source, tz, far_future_after
insert into events
with loaded as (
    select t.*
    from ingest_typed('staged', $source, $tz, $far_future_after) as t
    anti join ingest_set_aside as s using (file_id, line)
),

final as (
    select source, event_id, anonymous_id, user_id, customer_id, email_hash, occurred_at, event,
           page_url, referrer, utm_source, utm_medium, utm_campaign, object, action, channel, amount,
           score, properties, file_id, line
    from loaded
)

select * from final
