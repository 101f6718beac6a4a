-- Replaces the definition's snapshot of identities with the identities its run saw.
-- parameters: definition
insert into mined_identities
select $definition as definition, id_kind, id_value, person_id from identities
