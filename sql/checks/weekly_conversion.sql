-- The latest $weeks start weeks of the definition's trends: per week its journeys, their conversion and
-- conformance rates, each journey read as the alerts read it.
-- parameters: definition, weeks
select
    week,
    max(n) filter (where item_kind = 'conversion') as journeys,
    max(share) filter (where item_kind = 'conversion') as conversion_rate,
    max(share) filter (where item_kind = 'conformance') as conformance_rate
from trends
where definition = $definition and item_kind in ('conversion', 'conformance')
group by week
order by week desc
limit $weeks
