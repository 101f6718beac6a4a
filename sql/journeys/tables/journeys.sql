-- One row per journey of a definition: a person's mapped events between two cuts. journey_key is a
-- compact key of the journey in this database (journey_steps, journey_touchpoints): given once, when
-- the journey is mined, and never reused; journey_id is the one users see.
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
    conforms        boolean not null,
    journey_key     bigint,
    chain_path      varchar    -- the path as the twin reads it (journey_mining/twin.py: chains)
)
