-- One row per person: a connected component of identifiers, or one identifier of an oversize component.
-- person_id is unique by construction (identity/persons groups by it); no key index is kept, whose
-- upkeep cost a second per million persons at every build.
create table if not exists persons (
    person_id      varchar not null,
    identifiers    bigint not null,
    events         bigint not null,
    first_seen_at  timestamptz,
    last_seen_at   timestamptz
)
