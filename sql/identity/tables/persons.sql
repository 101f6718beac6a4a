-- One row per person: a connected component of identifiers, or one identifier of an oversize component.
create table if not exists persons (
    person_id      varchar primary key,
    identifiers    bigint not null,
    events         bigint not null,
    first_seen_at  timestamptz,
    last_seen_at   timestamptz
)
