-- The tables of a database mined by an earlier version that this one keeps in another shape: path_steps
-- (now a view of journey_steps) and journey_touchpoints keyed by names (now by indices). mining.py drops
-- them; the definitions' next runs mine everyone again (the mining code is new) and fill their successors.
select table_name
from duckdb_tables()
where database_name = current_database() and schema_name = 'main'
  and (table_name = 'path_steps'
       or (table_name = 'journey_touchpoints'
           and not exists (select 1 from duckdb_columns()
                           where database_name = current_database() and schema_name = 'main'
                             and table_name = 'journey_touchpoints' and column_name = 'touchpoint_index')))
order by table_name
