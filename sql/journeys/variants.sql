-- Replaces the definition's rows of variants: one row per distinct path, ranked by journeys, then
-- by path text in code-point order.
-- parameters: definition
insert into variants
with per_path as (
    select
        path,
        count(*) as journeys,
        count(*) filter (where converted) as converted,
        bool_and(conforms) as conforms
    from journeys
    where definition = $definition
    group by path
),

final as (
    select
        $definition as definition,
        row_number() over (order by journeys desc, path) as rank,
        path,
        journeys,
        journeys / sum(journeys) over () as share,
        converted,
        converted / journeys as conversion_rate,
        conforms
    from per_path
)

select * from final order by rank
