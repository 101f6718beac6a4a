-- The pseudonymisation key as HMAC's inner and outer pads (RFC 2104), for keyed_hash() of this
-- connection. Parameters: $inner, $outer (64 bytes each).
set variable keyed_hash_pads = {'inner': $inner, 'outer': $outer}
