-- Databases whose journeys were made before journeys had a chain path gain the column (null: their next
-- run mines everyone again, the mining code being new, and replaces those rows).
alter table journeys add column if not exists chain_path varchar
