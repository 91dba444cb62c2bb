import CNetShim

/// How many CPUs this process may use, read once.
///
/// The count of online CPUs ignores what confines a process: its affinity (`taskset`, a
/// container's cpuset) and its cgroup's CPU limit (a pod's `resources.limits.cpu`). A
/// sidecar limited to one CPU on a 64-CPU node started 64 UDP workers (each with its
/// batch buffers) and split every compile 64 ways. This is the affinity mask's count
/// capped by the cgroup v2 limit, rounded up; at least 1.
package enum Processors {
    package static let usable: Int = Int(cns_usable_cpus())
}
