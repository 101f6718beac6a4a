-- Drops a table of a database mined by an earlier version ({{table}}: a name outdated_tables gives), so
-- that its file in tables/ makes it anew in this version's shape.
-- fragments: table
drop table {{table}}
