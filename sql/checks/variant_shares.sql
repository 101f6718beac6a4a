-- One row (or none) for the definition: the sum of its variants' shares when it is further than
-- $tolerance from 1 (or from 0 when it has no journeys). Every journey has exactly one variant; the
-- compensated (Kahan) sum keeps rounding far below the tolerance even over millions of variants.
-- parameters: definition, tolerance
with shares as (
    select coalesce(kahan_sum(share), 0) as total_share, count(*) as variants
    from variants
    where definition = $definition
),

mined as (
    select count(*) as journeys
    from journeys
    where definition = $definition
),

final as (
    select total_share, variants, journeys
    from shares, mined
    where abs(total_share - (case when journeys > 0 then 1 else 0 end)) > $tolerance
)

select * from final
