-- One row per definition: what its latest mining run saw, so that the next run can mine again only
-- the persons touched since (new events, or identifiers that moved to another person).
create table if not exists mining_state (
    definition         varchar not null,
    definition_sha256  varchar not null,  -- of the definition file: another definition means a full run
    since              date,
    until              date,
    last_file_id       integer,           -- the newest ingested file the run saw
    remined_persons    bigint,            -- persons mined again by the run; null for a full run
    mined_by           varchar            -- digest of the mining code: rows mined by other code are mined again
)
