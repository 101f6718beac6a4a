-- One row per definition: how many journeys conform to the assumed journey, and pm4py's
-- token-based replay fitness and precision against it as a process model.
create table if not exists conformance (
    definition           varchar not null,
    journeys             bigint not null,
    conforming_journeys  bigint not null,
    conformance_rate     double,
    fitness              double,
    precision            double,
    model_note           varchar  -- why fitness or precision is missing, if it is
)
