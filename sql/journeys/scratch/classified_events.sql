-- One row per event of the analysed period of the persons mined in this run (everyone, or the
-- touched persons): whether it is in the definition's scope and, if so, the index of the first
-- touchpoint (in file order) it matches; null when it matches none; and the mining pass of its person
-- (a hash bucket of $passes), in whose order the rows are stored when there are several ({{order}}),
-- so that each pass reads only its own row groups.
-- {{scope}} and {{touchpoint}} are predicates built from the validated definition, values bound.
-- parameters: since, until, everyone, passes
-- fragments: scope, touchpoint, order
create or replace temp table classified_events as
with period as (
    select *
    from person_events
    where ($since is null or occurred_at >= $since)
      and ($until is null or occurred_at < $until)
      and ($everyone or person_id in (select person_id from touched_persons))
),

final as (
    select
        person_id,
        event_id,
        source,
        occurred_at,
        score,
        json_extract_string(properties, '$.score_kind') as score_kind,
        coalesce({{scope}}, false) as in_scope,
        case when coalesce({{scope}}, false) then {{touchpoint}} end as touchpoint_index,
        hash(person_id) % $passes as mining_pass
    from period
)

select * from final {{order}}
