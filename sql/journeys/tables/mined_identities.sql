-- The identities (identifier -> person) as a definition's latest mining run saw them.
create table if not exists mined_identities (
    definition  varchar not null,
    id_kind     varchar not null,
    id_value    varchar not null,
    person_id   varchar not null
)
