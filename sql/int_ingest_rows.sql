-- One row per input row of the current ingest run: typed, normalised, and the reason it is
-- rejected (null when it is not). Parameters: $source, $tz (zone of naive times), $far_future_after.
create or replace temp table ingest_rows as
with staged as (
    select * from staged_rows
),

present as (
    -- empty or whitespace-only values count as missing (macros: stg_present_macro, stg_trimmed_macro)
    select
        file_id,
        line,
        raw,
        reject_reason,
        present(event_id) as event_id,
        present(anonymous_id) as anonymous_id,
        present(user_id) as user_id,
        present(customer_id) as customer_id,
        lower(present(trimmed(email))) as email,
        present(trimmed("timestamp")) as timestamp_text,
        present(event) as event,
        present(page_url) as page_url,
        present(referrer) as referrer,
        present(utm_source) as utm_source,
        present(utm_medium) as utm_medium,
        present(utm_campaign) as utm_campaign,
        present(object) as object,
        present(action) as action,
        present(channel) as channel,
        -- an unparseable (or infinite, or NaN) amount or score is missing; the row stays
        case when isfinite(try_cast(trimmed(amount) as double)) then try_cast(trimmed(amount) as double) end as amount,
        case when isfinite(try_cast(trimmed(score) as double)) then try_cast(trimmed(score) as double) end as score,
        case
            when present(properties) is null then null
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
            when parts.offset not in ('', 'Z')
                 and (substr(offset_digits, 2, 2)::integer > 23
                      or coalesce(nullif(substr(offset_digits, 4, 2), ''), '0')::integer > 59) then null
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
