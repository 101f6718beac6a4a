-- One row per identifier (typed: an anonymous id "x" is not a user id "x"), with its component (the
-- keyed hash of the component's first identifier) and the person it belongs to.
create table if not exists identities (
    id_kind                varchar not null,
    id_value               varchar not null,
    person_id              varchar not null,
    component_id           varchar not null,
    component_identifiers  bigint not null,
    oversize               boolean not null
)
