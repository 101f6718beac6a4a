-- Replaces the definition's row of conformance: journeys without deviation, and the model-based
-- figures computed by pm4py ($fitness, $precision; null when skipped, $model_note says why).
-- parameters: definition, fitness, precision, model_note
insert into conformance
with counted as (
    select count(*) as journeys, count(*) filter (where conforms) as conforming_journeys
    from journeys
    where definition = $definition
),

final as (
    select
        $definition as definition,
        journeys,
        conforming_journeys,
        conforming_journeys / nullif(journeys, 0) as conformance_rate,
        $fitness::double as fitness,
        $precision::double as precision,
        $model_note::varchar as model_note
    from counted
)

select * from final
