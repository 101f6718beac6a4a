-- The pseudonymisation key as HMAC's inner and outer pads (RFC 2104), for keyed_hash() of this
-- connection ($inner and $outer: 64 bytes each).
-- parameters: inner, outer
set variable keyed_hash_pads = {'inner': $inner, 'outer': $outer}
