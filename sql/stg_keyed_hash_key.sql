-- The pseudonymisation key of the current ingest run as HMAC's inner and outer pads (RFC 2104), for
-- ingest_keyed_hash(). Parameters: $inner, $outer (64 bytes each).
set variable ingest_keyed_hash_pads = {'inner': $inner, 'outer': $outer}
