-- email_pseudonym(found): what a match of email_address_pattern(false) in a text is replaced by: the
-- escapes the match starts with (kept, see the pattern), then 'email:' and the keyed hash of the
-- address (email_address: trimmed, lower-cased, unescaped), the hash events.email_hash holds for it.
-- Only a match that starts with a backslash is searched again for its two parts.
create or replace temp macro email_pseudonym(found) as
list_transform(
    [case
        when starts_with(found, '\') then regexp_extract(found, '^' || email_address_pattern(true), ['escapes', 'address'])
        else {'escapes': '', 'address': found}
    end],
    lambda parts: parts.escapes || 'email:' || keyed_hash(email_address(parts.address))
)[1]
