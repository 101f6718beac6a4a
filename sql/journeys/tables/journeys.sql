-- One row per journey of a definition: a person's mapped events between two cuts.
create table if not exists journeys (
    journey_id      varchar not null,
    person_id       varchar not null,
    definition      varchar not null,
    start_at        timestamptz not null,
    end_at          timestamptz not null,
    steps           bigint not null,
    path            varchar not null,
    furthest_stage  varchar not null,
    converted       boolean not null,
    conforms        boolean not null
)
