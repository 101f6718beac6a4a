-- Databases whose mining_state was made before it kept the mining code's digest gain the column
-- (null: their next run mines everyone again).
alter table mining_state add column if not exists mined_by varchar
