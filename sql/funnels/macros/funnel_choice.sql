-- The funnel steps an event fills, last first (empty: none), all judged against the attempts held
-- before the event: of the steps its touchpoint has (e.ks, last first), step 1 (which always starts a
-- new attempt) and every step k whose step before holds an attempt that reached exactly k - 1 and
-- started at most window_us before. One attempt held before two filled steps would have reached
-- beyond the lower of them, so an event never fills two steps of one attempt.
create or replace temp macro funnel_choice(acc, e, window_us) as
list_filter(e.ks, lambda k:
    k = 1
    or (acc.slots[k - 1].id > 0
        and len(acc.slots[k - 1].times) = k - 1
        and (window_us is null or e.t - acc.slots[k - 1].start <= window_us))
)
