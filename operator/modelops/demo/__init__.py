"""``modelops demo``: the whole continuous-training loop on the local cluster, narrated.

Train -> scan -> serve -> traffic -> drift -> retrain -> scan -> promote -> drift falls,
with a timeline and a plot at the end. The demo drives the cluster the way a user
would (kubectl apply, HTTP to the Service) and never calls operator code.
"""
