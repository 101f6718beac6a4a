-- One row per funnel and person with a mapped event of one of its steps: the times (microseconds
-- since the epoch) of the steps the person reached, in order (SPEC section 5, funnels).
create table if not exists funnel_persons (
    definition  varchar not null,
    funnel      varchar not null,
    person_id   varchar not null,
    step_times  bigint[] not null
)
