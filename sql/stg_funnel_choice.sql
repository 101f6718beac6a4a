-- The funnel step an event fills, or null: of the steps its touchpoint has (e.ks, last first), the
-- first that is step 1 (which always starts a new attempt) or that advances the attempt held at the
-- step before it: an attempt that reached exactly that step, started at most window_us before.
create or replace temp macro funnel_choice(acc, e, window_us) as
list_filter(e.ks, lambda k:
    k = 1
    or (acc.slots[k - 1].id > 0
        and len(acc.slots[k - 1].times) = k - 1
        and (window_us is null or e.t - acc.slots[k - 1].start <= window_us))
)[1]
