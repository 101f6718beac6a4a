-- One row per identity component too large to be one person (shared devices, bots), kept apart.
create table if not exists oversize_components (
    component_id  bigint not null,
    identifiers   bigint not null
)
