-- One row per touchpoint of a definition that is not a goal: what the chain credits it with (removal
-- effect, its bootstrap interval, share and conversions) beside the heuristic credits.
create table if not exists attribution (
    definition              varchar not null,
    touchpoint              varchar not null,
    stage                   varchar not null,
    journeys                bigint not null,
    removal_effect          double,
    removal_effect_low      double,
    removal_effect_high     double,
    share                   double,
    attributed_conversions  double,
    first_touch             double not null,
    last_touch              double not null,
    linear                  double not null,
    position_based          double not null
)
