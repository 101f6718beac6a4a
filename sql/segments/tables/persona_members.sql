-- One row per person with a journey of the definition, when the run found personas: the persona (1, 2,
-- …; the largest first) whose behaviour the person's paths are closest to.
create table if not exists persona_members (
    person_id   varchar not null,
    definition  varchar not null,
    persona     integer not null
)
