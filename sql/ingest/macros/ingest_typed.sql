-- ingest_typed(input, run_source, run_tz, far_future_after): one row per row of the table or view
-- named `input` (staged columns, see scratch/staged_rows): typed, normalised, and the reason it is
-- rejected (null when it is not). run_tz is the zone of naive times. A table macro, so that the
-- whole run (keys, then loading) and the few rows set aside (content comparison) are typed alike;
-- columns a caller does not select are not computed. Every e-mail address in a text column, an
-- identifier or properties comes out replaced (macro redacted: privacy/macros/redacted); the reason is
-- judged before, on the values as read.
create or replace temp macro ingest_typed(input, run_source, run_tz, far_future_after) as table
with staged as (
    -- a lone surrogate escape in a properties text reads as U+FFFD, as in a JSON line (readers.mended_json,
    -- called for the few texts with such an escape)
    select * replace (
        case when contains(properties, '\ud') or contains(properties, '\uD') then mended_json(properties)
             else properties end as properties
    )
    from query_table(input)
),

present as (
    -- empty or whitespace-only values count as missing (macros: present, present_quick, and privacy's
    -- trimmed)
    select
        file_id,
        line,
        raw,
        reject_reason,
        present_quick(event_id) as event_id,
        present_quick(anonymous_id) as anonymous_id,
        present_quick(user_id) as user_id,
        present_quick(customer_id) as customer_id,
        -- an address whose first and last characters are visible needs no trim (see present_quick)
        case
            when ascii(email) > 32 and ascii(right(email, 1)) > 32 then lower(email)
            else lower(present(trimmed(email)))
        end as email,
        present(trimmed("timestamp")) as timestamp_text,
        present_quick(event) as event,
        present_quick(page_url) as page_url,
        present_quick(referrer) as referrer,
        present_quick(utm_source) as utm_source,
        present_quick(utm_medium) as utm_medium,
        present_quick(utm_campaign) as utm_campaign,
        present_quick(object) as object,
        present_quick(action) as action,
        present_quick(channel) as channel,
        -- an unparseable (or infinite, or NaN) amount or score is missing; the row stays
        -- (a native Parquet number has no text: it is taken as it is)
        case when isfinite(coalesce(native_amount, try_cast(trimmed(amount) as double)))
            then coalesce(native_amount, try_cast(trimmed(amount) as double)) end as amount,
        case when isfinite(coalesce(native_score, try_cast(trimmed(score) as double)))
            then coalesce(native_score, try_cast(trimmed(score) as double)) end as score,
        case
            when present_quick(properties) is null then null
            -- valid JSON that starts with a brace is an object: json_type() (a second parse) only otherwise
            when starts_with(properties, '{') and json_valid(properties) then properties
            when json_valid(properties) and json_type(properties) = 'OBJECT' then properties
            else json_object('properties_unparsed', properties)::varchar
        end as properties,
        coalesce(native_timestamp, timezone(run_tz, native_local)) as native_at,
        -- JSON nested past readers.MAX_NESTING (100) levels needs at least 101 '[' or '{': only such
        -- texts go to Python (a condition of `when` is evaluated on the rows the one before it let through)
        case
            when strlen(properties) > 200
                 and strlen(properties) - strlen(replace(replace(properties, '[', ''), '{', '')) > 100
                 and nested_too_deep(properties) then true
            else false
        end as properties_too_deep
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
            else timezone(run_tz, local_at)
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
            when properties_too_deep then 'nested too deep'
            when timestamp_text is null and native_at is null then 'missing timestamp'
            -- instants outside years 1 to 9999 (readers.FIRST_MICROSECOND, LAST_MICROSECOND), infinity included
            when occurred_at is null
                 or occurred_at not between '0001-01-01 00:00:00+00'::timestamptz
                                        and '9999-12-31 23:59:59.999999+00'::timestamptz
                then 'unparseable timestamp'
            when event_id is null then 'missing event_id'
            when anonymous_id is null and user_id is null and customer_id is null and email is null
                then 'no identity'
            when run_source = 'clickstream' and event is null then 'missing event'
            when run_source = 'crm' and object is null then 'missing object'
            when run_source = 'crm' and action is null then 'missing action'
            when occurred_at > far_future_after then 'far future'
        end as reason,
        run_source as source,
        redacted(event_id) as event_id,
        redacted(anonymous_id) as anonymous_id,
        redacted(user_id) as user_id,
        redacted(customer_id) as customer_id,
        case when email is not null then keyed_hash(email) end as email_hash,
        occurred_at,
        redacted(event) as event,
        redacted(page_url) as page_url,
        redacted(referrer) as referrer,
        redacted(utm_source) as utm_source,
        redacted(utm_medium) as utm_medium,
        redacted(utm_campaign) as utm_campaign,
        redacted(object) as object,
        redacted(action) as action,
        redacted(channel) as channel,
        amount,
        score,
        redacted(properties) as properties
    from typed
)

select * from final
