-- One row per segment of a definition and value its journeys have: their number and conversion.
create table if not exists segments (
    definition       varchar not null,
    segment          varchar not null,
    segment_order    integer not null,  -- the segment's place in the definition
    value            varchar not null,
    journeys         bigint not null,
    share            double,
    converted        bigint not null,
    conversion_rate  double
)
