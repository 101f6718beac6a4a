-- One row per journey and segment of its definition drawn from events (SPEC 9): the segment's value on
-- the event of the journey's first step, `(none)` when that event lacks it. Persona segments are not
-- here: a person's persona is found over everyone (persona_members).
create table if not exists journey_segments (
    definition   varchar not null,
    journey_key  bigint not null,
    segment      varchar not null,
    value        varchar not null
)
