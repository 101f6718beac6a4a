-- An incremental build first removes what it makes anew: the stored components it touches (in
-- identities and oversize_components) and their persons.
delete from persons
where person_id in (select person_id from identities
                    where component_id in (select component_id from identity_members));
delete from oversize_components where component_id in (select component_id from identity_members);
delete from identities where component_id in (select component_id from identity_members);
