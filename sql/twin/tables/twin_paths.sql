-- One row per distinct chain path of a definition's journeys (SPEC section 8): its touchpoints up to
-- the first goal step, repeats merged, joined by ' > ' ('' for none), whether it ends in (conversion),
-- and the journeys that took it. `journeys whatif` fits the chain again from these, never re-mining.
create table if not exists twin_paths (
    definition  varchar not null,
    path        varchar not null,
    converted   boolean not null,
    journeys    bigint not null
)
