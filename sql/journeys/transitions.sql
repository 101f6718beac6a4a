-- Replaces the definition's rows of transitions: one row per edge of the directly-follows graph, summed
-- from every journey's transitions (journey_transitions). The median and p90 are taken in whole
-- microseconds, exactly, then turned into seconds: the same to the last bit whatever the engine.
-- parameters: definition
insert into transitions
with edges as (
    select source_index, target_index, count(*) as transitions, count(*) filter (where first_on_edge) as journeys
    from journey_transitions
    where definition = $definition
    group by source_index, target_index
),

ranked as (  -- the timed transitions of each edge, 0 the quickest, and how many the edge has
    select
        source_index,
        target_index,
        micros,
        row_number() over (partition by source_index, target_index order by micros) - 1 as rank_on_edge,
        count(*) over (partition by source_index, target_index) as timed
    from journey_transitions
    where definition = $definition and micros is not null
),

timings as (
    -- p90 as numpy's linear interpolation: at rank 0.9 (n - 1) = lower + k / 10, the lower rank's time
    -- weighted 10 - k and the next one's k, in tenths of a microsecond (integers, so exact)
    select
        source_index,
        target_index,
        median(micros) / 1e6 as median_s,
        sum(case
            when rank_on_edge = 9 * (timed - 1) // 10 then (10 - 9 * (timed - 1) % 10) * micros
            when rank_on_edge = 9 * (timed - 1) // 10 + 1 then 9 * (timed - 1) % 10 * micros
        end) / 1e7 as p90_s
    from ranked
    group by source_index, target_index
),

final as (
    select $definition as definition, d.source, d.target, e.transitions, e.journeys, t.median_s, t.p90_s, d.kind
    from edges as e
    join definition_edges as d using (source_index, target_index)
    left join timings as t using (source_index, target_index)
)

select * from final order by transitions desc, source, target
