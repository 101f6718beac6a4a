-- The funnel state after one event that fills step k (null: fills none). A state holds, per step,
-- the attempt that most recently reached it ({id, start, times}; id 0 = none), the next attempt id,
-- and best_times: the step times of the first attempt that reached the furthest step so far.
-- With `strict`, every attempt the event does not advance is dropped.
create or replace temp macro funnel_next(acc, e, k, strict) as
case
    when k is null then
        {'slots': case when strict then list_transform(acc.slots, lambda s: {'id': 0, 'start': 0::bigint, 'times': []::bigint[]})
                       else acc.slots end,
         'next_id': acc.next_id,
         'best_times': acc.best_times}
    when k = 1 then
        {'slots': list_transform(acc.slots, lambda s, i:
                      case when i = 1 then {'id': acc.next_id, 'start': e.t, 'times': [e.t]}
                           when strict then {'id': 0, 'start': 0::bigint, 'times': []::bigint[]}
                           else s end),
         'next_id': acc.next_id + 1,
         'best_times': case when len(acc.best_times) < 1 then [e.t] else acc.best_times end}
    else
        {'slots': list_transform(acc.slots, lambda s, i:
                      case when i = k or s.id = acc.slots[k - 1].id
                                then {'id': acc.slots[k - 1].id, 'start': acc.slots[k - 1].start,
                                      'times': list_append(acc.slots[k - 1].times, e.t)}
                           when strict then {'id': 0, 'start': 0::bigint, 'times': []::bigint[]}
                           else s end),
         'next_id': acc.next_id,
         'best_times': case when len(acc.best_times) < k
                            then list_append(acc.slots[k - 1].times, e.t) else acc.best_times end}
end
