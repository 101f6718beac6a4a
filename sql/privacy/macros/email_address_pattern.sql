-- email_address_pattern(captures): what an e-mail address is, the one definition (used by redacted()).
--
-- An address is local@domain.tld: before the @ letters and . % + ' -; after it labels of letters and
-- -, joined by dots, the last one not starting with a digit. A letter is A-Z, a-z, 0-9, _ or any
-- character beyond ASCII but spaces and punctuation (U+0080-U+00BF, U+2000-U+206F, U+3000-U+303F,
-- U+FEFF, U+FF00-U+FF20). Unicode property classes would say it better but cost 15 ms to compile
-- at every use, this 1 ms. The @ may be written as itself, %40 (URLs), \u0040 (JSON) or &#64; /
-- &#x40; (HTML), and a letter as a JSON \uXXXX escape (JSON written in ASCII).
--
-- Inside JSON text an address must be replaced whole, escapes included, and never from the middle of
-- an escape: a match starts with the escapes of spaces and punctuation right before the address (\n,
-- \\, \u00a0, \u201c; as an escape, U+FEFF and U+FF00-U+FF20 count as letters), which are kept; an
-- @ right after such an escape makes that escape the local part. With `captures`, those escapes are
-- group 1 and the address as written group 2; without, the pattern has no groups, which makes
-- searching with it four times faster.
create or replace temp macro email_address_pattern(captures) as
replace(replace(replace(replace(replace(
    '{group}{escapes}){group}(?:(?:{letter}|[.%+''-])+|(?:\\u[0-9a-fA-F]{4}|\\[bfnrt])+)'
    || '(?:@|%40|\\u0040|&#64;|&#[xX]40;)'
    || '(?:(?:{letter}|-)+\.)+(?:[A-Za-z]|{beyond_ascii}|{letter_escape})(?:{letter}|-)*)',
    '{group}', case when captures then '(' else '(?:' end),
    '{escapes}', '(?:\\[\\"/bfnrt]|\\u(?:00[0-9a-bA-B]|20[0-6]|30[0-3])[0-9a-fA-F])*'),
    '{letter}', '[A-Za-z0-9_]|{beyond_ascii}|{letter_escape}'),
    '{beyond_ascii}', '[^\x00-\x{BF}\x{2000}-\x{206F}\x{3000}-\x{303F}\x{FEFF}\x{FF00}-\x{FF20}]'),
    '{letter_escape}', '\\u(?:00[c-fC-F][0-9a-fA-F]|0[1-9a-fA-F][0-9a-fA-F]{2}|1[0-9a-fA-F]{3}'
                       || '|2[1-9a-fA-F][0-9a-fA-F]{2}|20[7-9a-fA-F][0-9a-fA-F]'
                       || '|3[1-9a-fA-F][0-9a-fA-F]{2}|30[4-9a-fA-F][0-9a-fA-F]|[4-9a-fA-F][0-9a-fA-F]{3})')
