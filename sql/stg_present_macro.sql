-- present(value): the value, or null when it is empty or only whitespace (SPEC: such values are missing).
create or replace temp macro present(value) as case when regexp_full_match(value, '\s*') then null else value end
