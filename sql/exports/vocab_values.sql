-- One row per (kind, parent, value) found in the loaded events, with its count of events: what a
-- journey definition's `match` can name. kind: event | url | object | action | channel |
-- property_key | score_kind. parent: the event of a URL group, the object of an action, else null.
-- A URL group is the glob `/<first segment>/*` for a path with more segments, else the path itself.
-- $source: clickstream, crm or null for both. {{url_path}}: the path part of page_url, as touchpoint
-- matching reads it.
-- parameters: source
-- fragments: url_path
with events_in as (
    select event, {{url_path}} as url_path, object, action, channel, properties
    from events
    where $source is null or source = $source
),

url_groups as (
    select
        event,
        case when regexp_matches(url_path, '^/[^/]+/')
             then regexp_extract(url_path, '^/[^/]+/') || '*'
             else url_path end as url_group
    from events_in
    where url_path is not null
),

property_keys as (
    select unnest(json_keys(properties)) as property_key
    from events_in
    where json_type(properties) = 'OBJECT'
),

score_kinds as (
    select json_extract_string(properties, '/score_kind') as score_kind
    from events_in
),

counted as (
    select 'event' as kind, null as parent, event as value, count(*) as events
    from events_in where event is not null group by event
    union all
    select 'url', event, url_group, count(*) from url_groups group by event, url_group
    union all
    select 'object', null, object, count(*) from events_in where object is not null group by object
    union all
    select 'action', object, action, count(*)
    from events_in where object is not null and action is not null group by object, action
    union all
    select 'channel', null, channel, count(*) from events_in where channel is not null group by channel
    union all
    select 'property_key', null, property_key, count(*) from property_keys group by property_key
    union all
    select 'score_kind', null, score_kind, count(*) from score_kinds where score_kind is not null
    group by score_kind
),

final as (
    select kind, parent, value, events
    from counted
    order by kind, events desc, value, parent
)

select * from final
