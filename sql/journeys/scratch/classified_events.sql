-- One row per event of the analysed period of the persons mined in this run: its person's key and
-- mining pass, its time in microseconds, whether it is in the definition's scope and, if so, the index
-- of the first touchpoint (in file order) it matches (null when it matches none), and its score put on
-- one scale from -1 to 1 by score_kind (SPEC section 5, mean_score; a score outside its kind's range,
-- or of a kind not known, is left out). Stored in mining pass order when there are several ({{order}}),
-- so that each pass reads only its own row groups. A mapped event also carries the values of the
-- definition's segments drawn from events ({{segment_values}}: a list, null when there are none).
-- {{scope}}, {{touchpoint}} and {{segment_values}} are built from the validated definition, values bound.
-- parameters: since, until
-- fragments: scope, touchpoint, segment_values, order
create or replace temp table classified_events as
with identity_keys as (
    select i.id_kind, i.id_value, k.person_key, k.mining_pass
    from identities as i
    join mined_person_keys as k using (person_id)
),

period as (
    select k.person_key, k.mining_pass, e.*
    from keyed_events as e
    join identity_keys as k using (id_kind, id_value)
    where ($since is null or e.occurred_at >= $since)
      and ($until is null or e.occurred_at < $until)
),

scored as (
    select
        *,
        case when score is not null then json_extract_string(properties, '$.score_kind') end as score_kind
    from period
),

final as (
    select
        person_key,
        mining_pass,
        epoch_us(occurred_at) as t,
        event_id,
        source,
        case
            when score_kind = 'csat' and score between 1 and 5 then (score - 3) / 2
            when score_kind = 'nps' and score between 0 and 10 then (score - 5) / 5
            when coalesce(score_kind, 'sentiment') = 'sentiment' and score between -1 and 1 then score
        end as unit_score,
        coalesce({{scope}}, false) as in_scope,
        case when coalesce({{scope}}, false) then {{touchpoint}} end as touchpoint_index,
        {{segment_values}} as segment_values
    from scored
)

select * from final {{order}}
