-- One row per input row of the current ingest run: where it is, a 64-bit hash of its event id and
-- the reason it is rejected (null when it is not). Only these narrow columns are kept, so that a
-- large run stays in memory: the rows themselves stay where they are staged (see
-- scratch/staged_with_parquet), and the hash only picks the candidates for the exact repeat check
-- (scratch/ingest_repeats).
-- parameters: source, tz, far_future_after
create or replace temp table ingest_rows as
select file_id, line, hash(event_id) as event_hash, reason
from ingest_typed('staged', $source, $tz, $far_future_after)
