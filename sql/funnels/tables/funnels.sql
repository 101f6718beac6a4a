-- One row per step of each funnel of a definition.
create table if not exists funnels (
    definition                     varchar not null,
    funnel                         varchar not null,
    step                           integer not null,
    step_name                      varchar not null,
    persons                        bigint not null,
    conversion_rate_from_start     double,
    conversion_rate_from_previous  double,
    mean_s                         double,
    median_s                       double
)
