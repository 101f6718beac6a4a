-- One row per persona of a definition: a behavioural group of persons, named by the touchpoints its
-- persons have far more often than everyone (lift), with its size and its journeys' conversion.
create table if not exists personas (
    definition       varchar not null,
    persona          integer not null,
    name             varchar not null,
    top_touchpoints  varchar not null,  -- a JSON list: names may hold any punctuation
    persons          bigint not null,
    share            double not null,
    journeys         bigint not null,
    conversion_rate  double,
    silhouette       double not null
)
