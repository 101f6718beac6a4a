-- The tables of a database mined by an earlier version that this one keeps in another shape: path_steps
-- (now a view of journey_steps), journey_touchpoints keyed by names (now by indices) and
-- journey_transitions timed in float seconds (now in whole microseconds). mining.py drops them; the
-- definitions' next runs mine everyone again (the mining code is new) and fill their successors.
with shapes(table_name, column_name) as (  -- each kept table and the column its current shape has
    values ('journey_touchpoints', 'touchpoint_index'), ('journey_transitions', 'micros')
)

select table_name
from duckdb_tables()
where database_name = current_database() and schema_name = 'main'
  and (table_name = 'path_steps'
       or (table_name in (select table_name from shapes)
           and not exists (select 1 from duckdb_columns() as c join shapes as s using (table_name, column_name)
                           where c.database_name = current_database() and c.schema_name = 'main'
                             and c.table_name = duckdb_tables.table_name)))
order by table_name
