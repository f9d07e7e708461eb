"""A checker for the Pod Security Standards "restricted" profile (Kubernetes 1.30).

Covers every control of the baseline and restricted levels that a pod spec can
violate: host namespaces, privileged, capabilities, hostPath and other volume
types, host ports, AppArmor, SELinux, /proc mount, seccomp, sysctls, privilege
escalation, running as non-root and as a non-zero UID.
"""

from __future__ import annotations

from typing import Any

_ALLOWED_VOLUMES = {
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
}
_SAFE_SYSCTLS = {
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
}
_SELINUX_TYPES = {None, "", "container_t", "container_init_t", "container_kvm_t"}


def violations(pod_spec: dict[str, Any]) -> list[str]:
    """Every way ``pod_spec`` breaks the restricted profile; empty when it complies."""
    found: list[str] = []
    pod_sc = pod_spec.get("securityContext") or {}
    for field in ("hostNetwork", "hostPID", "hostIPC"):
        if pod_spec.get(field):
            found.append(f"spec.{field} must not be true")
    for volume in pod_spec.get("volumes") or []:
        kinds = set(volume) - {"name"}
        if not kinds <= _ALLOWED_VOLUMES:
            found.append(f"volume {volume.get('name')} uses {sorted(kinds - _ALLOWED_VOLUMES)}")
    for sysctl in pod_sc.get("sysctls") or []:
        if sysctl.get("name") not in _SAFE_SYSCTLS:
            found.append(f"sysctl {sysctl.get('name')} is not safe")
    if (pod_sc.get("seLinuxOptions") or {}).get("type") not in _SELINUX_TYPES:
        found.append("pod seLinuxOptions.type is not allowed")
    if pod_sc.get("runAsUser") == 0:
        found.append("pod runAsUser must not be 0")
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    pod_non_root = pod_sc.get("runAsNonRoot")
    containers = [
        *(pod_spec.get("initContainers") or []),
        *(pod_spec.get("containers") or []),
        *(pod_spec.get("ephemeralContainers") or []),
    ]
    if not containers:
        found.append("the pod has no containers")
    for container in containers:
        name = container.get("name", "?")
        sc = container.get("securityContext") or {}
        if sc.get("privileged"):
            found.append(f"{name}: privileged")
        caps = sc.get("capabilities") or {}
        if "ALL" not in (caps.get("drop") or []):
            found.append(f"{name}: capabilities must drop ALL")
        if set(caps.get("add") or []) - {"NET_BIND_SERVICE"}:
            found.append(f"{name}: adds capabilities beyond NET_BIND_SERVICE")
        for port in container.get("ports") or []:
            if port.get("hostPort"):
                found.append(f"{name}: uses hostPort {port['hostPort']}")
        if sc.get("procMount") not in (None, "Default"):
            found.append(f"{name}: procMount must be Default")
        if (sc.get("seLinuxOptions") or {}).get("type") not in _SELINUX_TYPES:
            found.append(f"{name}: seLinuxOptions.type is not allowed")
        if (sc.get("appArmorProfile") or {}).get("type") not in (
            None,
            "RuntimeDefault",
            "Localhost",
        ):
            found.append(f"{name}: appArmorProfile must be RuntimeDefault or Localhost")
        if sc.get("allowPrivilegeEscalation") is not False:
            found.append(f"{name}: allowPrivilegeEscalation must be false")
        non_root = sc.get("runAsNonRoot", pod_non_root)
        if non_root is not True:
            found.append(f"{name}: runAsNonRoot must be true")
        if sc.get("runAsUser") == 0:
            found.append(f"{name}: runAsUser must not be 0")
        seccomp = (sc.get("seccompProfile") or {}).get("type") or pod_seccomp
        if seccomp not in ("RuntimeDefault", "Localhost"):
            found.append(f"{name}: seccompProfile must be RuntimeDefault or Localhost")
    return found
