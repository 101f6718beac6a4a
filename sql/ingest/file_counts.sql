-- One row per file staged in the current ingest run: read = loaded + duplicates + quarantined.
-- A row is loaded unless it was rejected or is a repeat (every repeat has an outcome).
with rows_per_file as (
    select file_id, count(*) as "read", count(reason) as rejected
    from ingest_rows
    group by file_id
),

outcomes as (
    select
        file_id,
        count(*) filter (where outcome = 'duplicate') as duplicates,
        count(*) filter (where outcome = 'conflict') as conflicts
    from ingest_outcomes
    group by file_id
),

final as (
    select
        r.file_id,
        r."read",
        r."read" - r.rejected - coalesce(o.duplicates, 0) - coalesce(o.conflicts, 0) as loaded,
        coalesce(o.duplicates, 0) as duplicates,
        r.rejected + coalesce(o.conflicts, 0) as quarantined
    from rows_per_file as r
    left join outcomes as o using (file_id)
)

select * from final order by file_id
