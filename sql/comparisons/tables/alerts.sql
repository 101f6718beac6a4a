-- One row per difference the latest mining run found between the journeys of the latest window and of
-- the window before (SPEC 10): the item, both proportions, the change and how sure it is.
create table if not exists alerts (
    definition      varchar not null,
    item_kind       varchar not null,
    item            varchar not null,
    previous_x      bigint not null,
    previous_n      bigint not null,
    previous_share  double,
    current_x       bigint not null,
    current_n       bigint not null,
    current_share   double,
    change          double,
    p_value         double,
    q_value         double,
    kind            varchar not null,
    alert_order     integer not null  -- the order of alerts.csv
)
