"""kopf handlers, one module per kind: read -> decide/render -> apply -> status.

Handlers are thin. Each kind has one ``reconcile`` that is level-triggered (it
reads the current objects, never trusts the event) and serialised per object,
called from watch events of the resource and of its children, and from a timer
as a safety net.
"""
