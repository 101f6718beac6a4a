-- Removes one definition's rows from a mined table ({{table}}: a table a phase of mining fills, named
-- by its order.txt).
-- parameters: definition
-- fragments: table
delete from {{table}} where definition = $definition
