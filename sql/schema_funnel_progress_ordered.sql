-- The ordered funnels' progress per person of one mining run (int_funnel_progress_ordered fills it).
create or replace temp table funnel_progress_ordered (
    funnel      varchar,
    person_id   varchar,
    step_times  bigint[]
)
