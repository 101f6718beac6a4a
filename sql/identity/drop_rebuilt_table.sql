-- Drops one of the tables a full rebuild makes from nothing ({{table}}: one the [rebuilt] phase of
-- order.txt fills), so that its file in tables/ can make it anew: cheaper than deleting every row,
-- whose commit rewrites the table.
-- fragments: table
drop table {{table}}
