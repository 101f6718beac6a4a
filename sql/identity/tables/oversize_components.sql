-- One row per identity component too large to be one person (shared devices, bots), kept apart; known
-- by the keyed hash of its first identifier, as in identities.
create table if not exists oversize_components (
    component_id  varchar not null,
    identifiers   bigint not null
)
