-- One row per rejected input row: where it was, what it said, and why it was rejected.
create table if not exists quarantine (
    file_id   integer not null,
    line      bigint not null,
    raw       varchar,
    reason    varchar not null
)
