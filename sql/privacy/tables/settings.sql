-- One row per setting the database keeps for itself (the pseudonymisation key when none is given).
create table if not exists settings (
    name   varchar primary key,
    value  varchar not null
)
