-- Removes the rows of the touched persons from one of a definition's per-person tables ({{table}},
-- a table the [persons] phases of journeys/ and funnels/ fill, named by their order.txt).
-- parameters: definition
-- fragments: table
delete from {{table}}
where definition = $definition and person_id in (select person_id from touched_persons)
