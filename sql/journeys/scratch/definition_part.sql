-- One row per stage, touchpoint, allowed pair or funnel step of the definition being mined ({{table}}:
-- definition_stages, definition_touchpoints, definition_allowed, definition_funnel_steps).
-- fragments: table
create or replace temp table {{table}} as select * from definition_part
