"""Pure decisions: from what the cluster shows to what the status should say and do.

Functions here take plain values (specs, statuses, child objects, ``now``) and
return values; they never call the API, read the clock or the environment.
"""
