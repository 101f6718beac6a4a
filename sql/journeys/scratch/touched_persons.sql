-- The persons an incremental run mines again: those with events loaded after file $last_file_id,
-- and, for every identifier that moved to another person (or appeared, or vanished) since the
-- definition's latest run, both its former and its current person.
-- parameters: last_file_id, definition
create or replace temp table touched_persons as
with new_events as (
    select distinct person_id from person_events where file_id > $last_file_id
),

moved as (
    select now.person_id as current_id, before.person_id as former_id
    from identities as now
    full outer join (select * from mined_identities where definition = $definition) as before
      on before.id_kind = now.id_kind and before.id_value = now.id_value
    where now.person_id is distinct from before.person_id
),

final as (
    select person_id from new_events
    union
    select current_id from moved where current_id is not null
    union
    select former_id from moved where former_id is not null
)

select person_id from final
