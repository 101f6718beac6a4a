-- One row per input row of the current ingest run: typed, normalised, and the reason it is
-- rejected (null when it is not). Parameters: $source, $tz (zone of naive times), $far_future_after.
create or replace temp table ingest_rows as
with staged as (
    select * from staged_rows
),

present as (
    -- empty or whitespace-only values count as missing
    select
        file_id,
        line,
        raw,
        reject_reason,
        case when trim(event_id) <> '' then event_id end as event_id,
        case when trim(anonymous_id) <> '' then anonymous_id end as anonymous_id,
        case when trim(user_id) <> '' then user_id end as user_id,
        case when trim(customer_id) <> '' then customer_id end as customer_id,
        nullif(lower(trim(email)), '') as email,
        nullif(trim("timestamp"), '') as timestamp_text,
        case when trim(event) <> '' then event end as event,
        case when trim(page_url) <> '' then page_url end as page_url,
        case when trim(referrer) <> '' then referrer end as referrer,
        case when trim(utm_source) <> '' then utm_source end as utm_source,
        case when trim(utm_medium) <> '' then utm_medium end as utm_medium,
        case when trim(utm_campaign) <> '' then utm_campaign end as utm_campaign,
        case when trim(object) <> '' then object end as object,
        case when trim(action) <> '' then action end as action,
        case when trim(channel) <> '' then channel end as channel,
        -- an unparseable (or infinite, or NaN) amount or score is missing; the row stays
        case when isfinite(try_cast(trim(amount) as double)) then try_cast(trim(amount) as double) end as amount,
        case when isfinite(try_cast(trim(score) as double)) then try_cast(trim(score) as double) end as score,
        case
            when properties is null or trim(properties) = '' then null
            when json_valid(properties) and json_type(properties) = 'OBJECT' then properties
            else json_object('properties_unparsed', properties)::varchar
        end as properties,
        coalesce(native_timestamp, timezone($tz, native_local)) as native_at
    from staged
),

iso as (
    select
        *,
        regexp_extract(
            timestamp_text,
            '^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2})?)(?:\.(\d{1,6})\d*)?(Z|[+-]\d{2}(?::?\d{2})?)?)?$',
            ['day', 'clock', 'fraction', 'offset']
        ) as parts
    from present
),

timed as (
    select
        *,
        try_cast(
            parts.day || ' ' || coalesce(nullif(parts.clock, ''), '00:00')
            || case when parts.fraction <> '' then '.' || parts.fraction else '' end
            as timestamp
        ) as local_at,
        case
            when parts.offset = '' then null
            when parts.offset = 'Z' then 0
            else (case when left(parts.offset, 1) = '-' then -1 else 1 end)
                * (cast(substr(offset_digits, 2, 2) as integer) * 60
                   + cast(coalesce(nullif(substr(offset_digits, 4, 2), ''), '0') as integer))
        end as offset_minutes
    from (select *, replace(parts.offset, ':', '') as offset_digits from iso)
),

typed as (
    select
        *,
        case
            when native_at is not null then native_at
            when regexp_full_match(timestamp_text, '\d+')
                then try(epoch_ms(try_cast(timestamp_text as bigint)))::timestamptz
            when parts.day = '' or local_at is null then null
            when offset_minutes is not null
                then (local_at - to_minutes(offset_minutes))::timestamptz
            else timezone($tz, local_at)
        end as occurred_at
    from timed
),

final as (
    select
        file_id,
        line,
        raw,
        case
            when reject_reason is not null then reject_reason
            when timestamp_text is null and native_at is null then 'missing timestamp'
            when occurred_at is null then 'unparseable timestamp'
            when event_id is null then 'missing event_id'
            when anonymous_id is null and user_id is null and customer_id is null and email is null
                then 'no identity'
            when $source = 'clickstream' and event is null then 'missing event'
            when $source = 'crm' and object is null then 'missing object'
            when $source = 'crm' and action is null then 'missing action'
            when occurred_at > $far_future_after then 'far future'
        end as reason,
        $source as source,
        event_id,
        anonymous_id,
        user_id,
        customer_id,
        case when email is not null then keyed_hash(email) end as email_hash,
        occurred_at,
        event,
        page_url,
        referrer,
        utm_source,
        utm_medium,
        utm_campaign,
        object,
        action,
        channel,
        amount,
        score,
        properties
    from typed
)

select * from final
