-- One row per variant of the definition: its path as touchpoint numbers (1-based positions of the
-- touchpoints in the definition's file order), its steps and its journeys.
-- In path order, so that the variants sharing a first part of their paths are next to each other:
-- the model-based figures count the distinct path prefixes from that order.
-- A path's first $width steps are packed into one number, $bits bits a step from the highest
-- (zeros after the path's end), and only its later steps go into a list: grouping and ordering
-- 1.5M journeys by a number is several times faster than by a list of every step ($width * $bits <= 64;
-- every number below 2^$bits).
-- parameters: definition, bits, width
with steps as (
    select journey_key, step, touchpoint_index + 1 as touchpoint
    from journey_steps
    where definition = $definition
),

journey_paths as (
    select
        journey_key,
        sum(touchpoint::ubigint << ($bits * ($width - least(step, $width)))) filter (where step <= $width) as head,
        list(touchpoint order by step) filter (where step > $width) as tail,
        count(*) as steps
    from steps
    group by journey_key
),

variants as (
    select head, tail, any_value(steps) as steps, count(*) as journeys
    from journey_paths
    group by head, tail
),

final as (
    select
        list_concat(
            list_transform(range(least(steps, $width)),
                           lambda i: ((head >> ($bits * ($width - 1 - i))) & ((1::ubigint << $bits) - 1))::integer),
            coalesce(tail, [])
        ) as path,
        steps,
        journeys,
        head,
        tail
    from variants
)

select path, steps, journeys from final order by head, tail nulls first
