-- redacted(text): the text with every e-mail address in it (email_address_pattern) replaced by
-- 'email:' and the keyed hash of the address trimmed, lower-cased and unescaped (email_pseudonym):
-- the hash events.email_hash holds for that address. The text is split around its addresses and put
-- together again with their replacements. Text with no @ in any spelling (most values) is returned
-- as it is without running the pattern.
create or replace temp macro redacted(text) as
case
    when contains(text, '@') or contains(text, '%40') or contains(text, '\u0040') or contains(text, '&#')
    then array_to_string(list_transform(
        list_zip(
            regexp_split_to_array(text, email_address_pattern(false)),
            regexp_extract_all(text, email_address_pattern(false))
        ),
        lambda piece: piece[1] || coalesce(email_pseudonym(piece[2]), '')
    ), '')
    else text
end
