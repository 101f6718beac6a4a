-- trimmed(value): without leading and trailing whitespace of the kinds present() knows (trim() alone
-- takes spaces only).
create or replace temp macro trimmed(value) as trim(value, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13))
