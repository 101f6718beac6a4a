-- Drops one of the tables a rebuild makes from nothing ({{table}}, from a fixed list), so that its
-- schema file can make it anew: cheaper than deleting every row, whose commit rewrites the table.
-- fragments: table
drop table {{table}}
