-- Every staged row of the current ingest run: the rows the readers staged, and the rows of the Parquet
-- files DuckDB reads itself (the variable ingest_parquet_files maps their paths to their file ids).
-- Those files are never copied: each step reads them again, which costs far less than materialising
-- every row and column of a large run. Columns a file lacks come from the empty `shape` as nulls.
create or replace temp view staged as
with shape as (
    select
        null::varchar as event_id,
        null::varchar as anonymous_id,
        null::varchar as user_id,
        null::varchar as customer_id,
        null::varchar as email,
        null::timestamptz as "timestamp",
        null::varchar as event,
        null::varchar as page_url,
        null::varchar as referrer,
        null::varchar as utm_source,
        null::varchar as utm_medium,
        null::varchar as utm_campaign,
        null::varchar as object,
        null::varchar as action,
        null::varchar as channel,
        null::double as amount,
        null::double as score,
        null::varchar as properties
    where false
),

parquet as (
    select * from shape
    union all by name
    select *, file_index
    from read_parquet(map_keys(getvariable('ingest_parquet_files')), union_by_name = true, file_row_number = true)
)

select * from staged_rows
union all by name
select
    map_values(getvariable('ingest_parquet_files'))[file_index::bigint + 1]::integer as file_id,  -- unsigned index
    file_row_number + 1 as line,  -- rows are numbered from 1 in file order
    event_id,
    anonymous_id,
    user_id,
    customer_id,
    email,
    event,
    page_url,
    referrer,
    utm_source,
    utm_medium,
    utm_campaign,
    object,
    action,
    channel,
    properties,
    "timestamp" as native_timestamp,
    amount as native_amount,
    score as native_score
from parquet
