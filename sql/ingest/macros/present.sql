-- present(value): the value, or null when it is empty or only whitespace (SPEC: such values are
-- missing). Whitespace: space, tab, newline, vertical tab, form feed, carriage return.
create or replace temp macro present(value) as
case when trim(value, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13)) = '' then null else value end
