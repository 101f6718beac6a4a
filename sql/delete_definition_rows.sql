-- Removes one definition's rows from a mined table ({{table}}, from the fixed list of mined tables).
-- parameters: definition
-- fragments: table
delete from {{table}} where definition = $definition
