-- One row per identifier already in identities whose component this build makes anew, with that
-- component: empty for a full rebuild (scratch/identity_members fills it for an incremental one).
create or replace temp table identity_members (
    id_kind       varchar,
    id_value      varchar,
    component_id  varchar
)
