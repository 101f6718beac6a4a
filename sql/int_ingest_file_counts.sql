-- One row per file staged in the current ingest run: read = loaded + duplicates + quarantined.
with staged as (
    select file_id, line, reason from ingest_rows
),

outcomes as (
    select file_id, line, outcome from ingest_outcomes
),

final as (
    select
        s.file_id,
        count(*) as "read",
        count(*) filter (where o.outcome = 'loaded') as loaded,
        count(*) filter (where o.outcome = 'duplicate') as duplicates,
        count(*) filter (where s.reason is not null or o.outcome = 'conflict') as quarantined
    from staged as s
    left join outcomes as o using (file_id, line)
    group by s.file_id
)

select * from final order by file_id
