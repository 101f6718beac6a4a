-- One row per stage, touchpoint, edge, expected transition, funnel step or segment of the definition being
-- mined ({{table}}: a key of the tables of mining.load_definition).
-- fragments: table
create or replace temp table {{table}} as select * from definition_part
