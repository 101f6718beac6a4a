-- One row per stage, touchpoint or allowed pair of the definition being mined ({{table}}).
-- fragments: table
create or replace temp table {{table}} as select * from definition_part
