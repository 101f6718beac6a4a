-- present_quick(value): present(value), with a shortcut for the usual value, whose first character
-- is visible (code point above the space) and so is neither empty nor only whitespace. trim() with a
-- set of characters costs about ten times a plain string operation, and most values need no trim.
create or replace temp macro present_quick(value) as
case when ascii(value) > 32 then value else present(value) end
