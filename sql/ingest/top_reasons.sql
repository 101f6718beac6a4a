-- One row per quarantine reason of one staged file ($file_id), most frequent first.
-- parameters: file_id
with rejected as (
    select reason from ingest_rows where file_id = $file_id and reason is not null
    union all
    select 'conflicting duplicate' from ingest_outcomes where file_id = $file_id and outcome = 'conflict'
),

final as (
    select reason, count(*) as rows from rejected group by reason
)

select * from final order by rows desc, reason limit 5
