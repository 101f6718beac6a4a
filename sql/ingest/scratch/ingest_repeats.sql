-- One row per accepted row (no reject reason) of the current ingest run whose (source, event_id) key
-- was seen before: in the database, or at an earlier position (file, then line) in this run. Every
-- other accepted row is the first of its key and is loaded.
--
-- Every row of a repeated key shares its event id's hash with the key's other rows, so only rows
-- whose hash repeats (in the run or in the database) are candidates; their event ids are read again
-- and the rule is applied exactly to them. A hash collision only adds a candidate.
-- parameters: source
create or replace temp table ingest_repeats as
with accepted as not materialized (
    select file_id, line, event_hash from ingest_rows where reason is null
),

stored_matches as materialized (
    -- stored events whose id hashes like one of this run's: every key already stored, and a few others
    select event_id, hash(event_id) as event_hash
    from events
    where source = $source
      and hash(event_id) in (select event_hash from accepted)
),

candidate_hashes as (
    select event_hash from accepted group by event_hash having count(*) > 1
    union
    select event_hash from stored_matches
),

candidates as materialized (
    -- the event id of an accepted row is its staged text (present() keeps what it does not null),
    -- its e-mail addresses replaced as ingest_typed replaces them
    select s.file_id, s.line, redacted(s.event_id) as event_id, s.file_id::bigint << 40 | s.line as position
    from staged as s
    semi join (
        select file_id, line from accepted where event_hash in (select event_hash from candidate_hashes)
    ) as c using (file_id, line)
),

repeated_in_run as (
    -- keys with more than one row in this run, and the position of their first row
    select event_id, min(position) as first_position
    from candidates
    group by event_id
    having count(*) > 1
),

final as (
    select c.file_id, c.line, c.event_id
    from candidates as c
    left join repeated_in_run as r using (event_id)
    where c.position <> r.first_position
       or c.event_id in (select event_id from stored_matches)
)

select * from final
