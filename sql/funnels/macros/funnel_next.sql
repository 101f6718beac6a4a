-- The funnel state after one event that fills the steps ks (last first; empty: none). A state holds,
-- per step, the attempt that most recently reached it ({id, start, times}; id 0 = none), the next
-- attempt id, and best_times: the step times of the first attempt that reached the furthest step so
-- far. Step 1 of ks holds a new attempt; a step k of ks holds the attempt held at k - 1, advanced; a
-- step that held an attempt advanced at a later step keeps it, advanced too. With `strict`, every
-- other attempt (one the event neither advanced nor started) is dropped.
create or replace temp macro funnel_next(acc, e, ks, strict) as
{'slots': list_transform(acc.slots, lambda s, i:
     case when i = 1 and list_contains(ks, 1) then {'id': acc.next_id, 'start': e.t, 'times': [e.t]}
          when list_contains(ks, i)
               then {'id': acc.slots[i - 1].id, 'start': acc.slots[i - 1].start,
                     'times': list_append(acc.slots[i - 1].times, e.t)}
          when s.id > 0 and list_contains(list_transform(list_filter(ks, lambda k: k > 1),
                                                         lambda k: acc.slots[k - 1].id), s.id)
               then {'id': s.id, 'start': s.start, 'times': list_append(s.times, e.t)}
          when strict then {'id': 0, 'start': 0::bigint, 'times': []::bigint[]}
          else s end),
 'next_id': acc.next_id + list_contains(ks, 1)::integer,
 -- ks[1] is the furthest step the event filled
 'best_times': case when len(acc.best_times) >= coalesce(ks[1], 0) then acc.best_times
                    when ks[1] = 1 then [e.t]
                    else list_append(acc.slots[ks[1] - 1].times, e.t) end}
