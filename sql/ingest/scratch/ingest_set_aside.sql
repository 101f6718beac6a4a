-- The staged rows of the current ingest run that are not loaded: the rejected ones and the repeats.
-- Few, so they are kept with every staged column: their content is compared and their raw text
-- quarantined without reading every file again.
create or replace temp table ingest_set_aside as
with positions as (
    select file_id, line from ingest_rows where reason is not null
    union all
    select file_id, line from ingest_repeats
),

final as (
    select s.*
    from staged as s
    semi join positions as p using (file_id, line)
)

select * from final
