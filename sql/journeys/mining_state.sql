-- Replaces the definition's row of mining_state after a run, and its snapshot of identities.
-- parameters: definition, definition_sha256, since, until, remined_persons, mined_by
insert into mining_state by name
select
    $definition as definition,
    $definition_sha256 as definition_sha256,
    $since::date as since,
    $until::date as until,
    (select max(file_id) from ingested_files) as last_file_id,
    $remined_persons::bigint as remined_persons,
    $mined_by as mined_by
