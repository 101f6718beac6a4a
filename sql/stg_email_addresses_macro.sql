-- email_addresses(written): the addresses that a list of matches of email_address_pattern() stand for,
-- trimmed and lower-cased: HTML at signs and JSON escapes (\uXXXX, \n) decoded, then %XX escapes when
-- there is a % (an address in a URL), so that one address is one text however it was written. An
-- escape that does not decode (a lone surrogate, %zz) is left as written. One lambda per step, each
-- over the list the step before it made.
create or replace temp macro email_addresses(written) as
list_transform(
    list_transform(
        list_transform(written, lambda address: regexp_replace(address, '&#(?:64|[xX]40);', '@', 'g')),
        lambda address: case
            when contains(address, '\') then coalesce(try(json_extract_string('"' || address || '"', '$')), address)
            else address
        end
    ),
    lambda address: lower(trimmed(
        case when contains(address, '%') then coalesce(try(url_decode(address)), address) else address end
    ))
)
