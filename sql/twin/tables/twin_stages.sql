-- One row per stage of a definition: the share of journeys that reached it beside the fitted chain's
-- probability of reaching it (a first-order chain need not reproduce the first).
create table if not exists twin_stages (
    definition      varchar not null,
    stage           varchar not null,
    observed_reach  double,
    model_reach     double
)
