-- Replaces the definition's rows of twin_paths (twin_path_rows: journey_mining/twin.py).
-- parameters: definition
insert into twin_paths
select $definition as definition, path, converted, journeys
from twin_path_rows
