"""The local kubelet: Jobs, Deployments and Services of the local cluster as local processes.

It plays, for the embedded API server, the Job controller, the Deployment controller, the
kubelet and a load-balancer controller::

    from modelops.local.kubelet import Kubelet
    kubelet = await Kubelet.start(api_url, state_dir)
    ...
    await kubelet.stop()   # stops every child process

What a pod's container becomes locally:

- **Process.** ``command`` + ``args`` run as a process in its own process group (images
  are not pulled). ``modelops`` and ``python`` resolve to the running interpreter's
  directory (its venv); other commands are looked up on PATH. A container without a
  ``command`` cannot start (CreateContainerConfigError).
- **Environment.** A few host variables (PATH, HOME, locale, PYTHONPATH), then
  ``envFrom`` and ``env`` as Kubernetes resolves them (literals, ``$(VAR)``,
  secretKeyRef, configMapKeyRef, fieldRef; resourceFieldRef is left unset).
- **Port.** Every pod whose container declares a ``containerPort`` gets its own free
  127.0.0.1 port, passed as env ``MODELOPS_PORT`` and recorded in the pod annotation
  ``local.modelops.dev/port``. Readiness probes (httpGet, tcpSocket) go to that port
  whatever port they name; without a probe a running container is ready.
- **Termination message.** ``terminationMessagePath`` is remapped to a file in the pod's
  directory, passed as env ``MODELOPS_TERMINATION_MESSAGE_PATH``; after the process exits
  its first 4 KiB become ``state.terminated.message`` (FallbackToLogsOnError honoured).
- **Files.** Logs append to ``<state>/logs/<namespace>_<pod>.log``; the working directory
  is ``workingDir`` if it exists on this host, else a per-pod directory. Volumes: see
  ``statedir`` (emptyDir per pod, PVC per claim under the state dir, hostPath as is);
  mount paths in command, args, env values and workingDir are rewritten to host paths.
- **Ownership.** Job pods are owned by their Job; Deployment pods are owned directly by
  the Deployment (no ReplicaSet objects) and labelled ``pod-template-hash``.
- **Services.** Each Service with a selector gets a loopback TCP proxy balancing
  round-robin over its ready pods, published in ``status.loadBalancer.ingress`` and in
  the Service annotation ``local.modelops.dev/port`` (kept across restarts).
- **Restarts.** After a kubelet restart, Deployment pods restart their containers in
  place; a Job pod that was running counts as a failed attempt and the Job retries.
"""

from modelops.local.kubelet.kubelet import Kubelet

__all__ = ["Kubelet"]
