-- One row per start week (its Monday) and item of a definition: the proportion the alerts compare, over
-- the journeys that started that week.
create table if not exists trends (
    definition  varchar not null,
    week        date not null,
    item_kind   varchar not null,
    item        varchar not null,
    x           bigint not null,
    n           bigint not null,
    share       double,
    trend_order bigint not null  -- the order of trends.csv
)
