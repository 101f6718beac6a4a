-- email_address(written): the address an address as written stands for, trimmed and lower-cased:
-- HTML at signs and JSON escapes (\uXXXX, \n) decoded, then %XX escapes when there is a % (an
-- address in a URL), so that one address is one text however it was written. An escape that does
-- not decode (a lone surrogate, %zz) is left as written. Each step is a lambda over a list of one,
-- which names its input once however often the step reads it.
create or replace temp macro email_address(written) as
list_transform(
    list_transform(
        list_transform([written], lambda address: replace(replace(replace(address, '&#64;', '@'), '&#x40;', '@'), '&#X40;', '@')),
        lambda address: case
            when contains(address, '\') then coalesce(try(json_extract_string('"' || address || '"', '$')), address)
            else address
        end
    ),
    lambda address: lower(trimmed(
        case when contains(address, '%') then coalesce(try(url_decode(address)), address) else address end
    ))
)[1]
