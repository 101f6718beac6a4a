-- For the journey map's rare-edge control: one row per number of journeys of a journey's rarest edge,
-- with the definition's journeys whose rarest edge it is ((start) and (end) edges included). A map
-- showing only edges taken by at least N journeys shows the whole path of the journeys counted at N or more.
create table if not exists rarest_edges (
    definition            varchar not null,
    rarest_edge_journeys  bigint not null,
    journeys              bigint not null
)
