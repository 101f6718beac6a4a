-- One row: what the stored identities were built from, so that the next build can add only the
-- events loaded since (the last file, the oversize limit, a check of the pseudonymisation key).
create table if not exists identity_state (
    last_file_id        bigint not null,
    max_ids_per_person  bigint not null,
    key_check           varchar not null,
    built_at            timestamptz not null
)
