-- Appends to quarantine one row per rejected row of the current run: its reason, or a conflict.
-- Parquet rows have no text of their own: their staged columns, as JSON, stand for it (a native
-- Parquet number as the text Arrow gives it, as when it is staged). E-mail addresses are never stored
-- in clear: each, escaped or not, is replaced as in events (macro redacted).
insert into quarantine
with rejected as (
    select file_id, line, reason from ingest_rows where reason is not null
    union all
    select file_id, line, 'conflicting duplicate' from ingest_outcomes where outcome = 'conflict'
),

texts as (
    select
        r.file_id,
        r.line,
        coalesce(
            s.raw,
            json_merge_patch('{}', to_json(struct_pack(
                s.event_id, s.anonymous_id, s.user_id, s.customer_id, s.email, s."timestamp",
                native_timestamp := strftime(s.native_timestamp, '%Y-%m-%dT%H:%M:%S.%fZ'),
                native_local := strftime(s.native_local, '%Y-%m-%dT%H:%M:%S.%f'),
                s.event, s.page_url, s.referrer, s.utm_source, s.utm_medium, s.utm_campaign, s.object,
                s.action, s.channel,
                amount := coalesce(s.amount, arrow_number_text(s.native_amount)),
                score := coalesce(s.score, arrow_number_text(s.native_score)),
                s.properties
            )))::varchar
        ) as text,
        r.reason
    from rejected as r
    join ingest_set_aside as s using (file_id, line)
),

final as (
    select file_id, line, redacted(text) as raw, reason
    from texts
)

select * from final order by file_id, line
