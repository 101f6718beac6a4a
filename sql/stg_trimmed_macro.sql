-- trimmed(value): without leading and trailing whitespace of any kind (trim() takes spaces only).
create or replace temp macro trimmed(value) as regexp_replace(value, '^\s+|\s+$', '', 'g')
