-- One row per variant (distinct path) of a definition.
create table if not exists variants (
    definition       varchar not null,
    rank             bigint not null,
    path             varchar not null,
    journeys         bigint not null,
    share            double not null,
    converted        bigint not null,
    conversion_rate  double not null,
    conforms         boolean not null
)
