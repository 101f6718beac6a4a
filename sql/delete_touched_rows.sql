-- Removes the rows of the touched persons from one of a definition's per-person tables ({{table}},
-- from the fixed list of mined tables that have a person_id).
-- parameters: definition
-- fragments: table
delete from {{table}}
where definition = $definition and person_id in (select person_id from touched_persons)
