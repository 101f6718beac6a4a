-- keyed_hash(text): pseudonyms.keyed_hash in SQL, HMAC-SHA-256 of the text's UTF-8 bytes as 32 hex
-- digits, with the pads of scratch/keyed_hash_pads. DuckDB's sha256() runs on every core at a fraction
-- of the cost of a Python call per row; pseudonyms.register checks that both agree.
create or replace temp macro keyed_hash(text) as
left(sha256(
    getvariable('keyed_hash_pads').outer
    || unhex(sha256(getvariable('keyed_hash_pads').inner || encode(text)))
), 32)
