-- One row per input file ever ingested, with its reconciled counts (read = loaded + duplicates + quarantined).
create table if not exists ingested_files (
    file_id      integer primary key,
    path         varchar not null,
    source       varchar not null,
    sha256       varchar not null,
    bytes        bigint not null,
    "read"       bigint not null,
    loaded       bigint not null,
    duplicates   bigint not null,
    quarantined  bigint not null,
    ingested_at  timestamptz not null,
    unique (source, sha256)
)
