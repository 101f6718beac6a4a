-- One row per stage (touchpoint null) and per touchpoint of a definition: the customers' feelings,
-- the mean of the scored events on one scale from -1 to 1 (SPEC section 5, mean_score).
create table if not exists feelings (
    definition     varchar not null,
    stage          varchar not null,
    stage_order    integer not null,
    touchpoint     varchar,
    scored_events  bigint not null,
    mean_score     double
)
