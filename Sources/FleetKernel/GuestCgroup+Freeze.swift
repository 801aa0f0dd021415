import Glibc

/// Freezing a guest's cgroup: every process of it stops where it is, and
/// nothing it does reaches the disk until it is thawed (a replica sync's
/// crash-consistent point). cgroup v2 has `cgroup.freeze` in every
/// non-root cgroup, also in a hybrid host's controller-less unified
/// hierarchy; a v1-only host needs the freezer controller.
extension GuestCgroup {
    /// Which file freezes this guest, if any: the unified hierarchy's
    /// `cgroup.freeze`, else the v1 freezer's `freezer.state`.
    public var freezeControl: FreezeControl? {
        if let unified = layout.unified {
            let dir = path(in: unified)
            if SysFile.exists(dir + "/cgroup.freeze") { return FreezeControl(directory: dir, version: 2) }
        }
        if let v1 = layout.hierarchies.first(where: { $0.version == 1 && $0.controllers.contains("freezer") }) {
            let dir = path(in: v1)
            if SysFile.exists(dir + "/freezer.state") { return FreezeControl(directory: dir, version: 1) }
        }
        return nil
    }

    /// Freezes every process of the guest and waits until the kernel says
    /// they all are (a process in a system call stops when it returns).
    public func freeze(timeoutSeconds: Double = 5) throws(KernelError) {
        guard let control = freezeControl else {
            throw KernelError("freeze", "the cgroup \(relativePath)", errno: ENOENT, hint: "the guest has no cgroup.freeze (cgroup v2) and no freezer (cgroup v1) cgroup: is it running, and is CONFIG_CGROUP_FREEZER set?")
        }
        try control.set(frozen: true)
        var waited = 0.0
        while !control.isFrozen {
            if waited >= timeoutSeconds {
                try? control.set(frozen: false)
                throw KernelError("freeze", control.directory, errno: ETIMEDOUT,
                                  hint: "the guest's processes did not all stop within \(timeoutSeconds) s (one in uninterruptible sleep?); thawed it again")
            }
            usleep(1000)
            waited += 0.001
        }
    }

    /// Thaws the guest; a guest that is not frozen (or has no cgroup any more) is left as it is.
    public func thaw() throws(KernelError) {
        guard let control = freezeControl else { return }
        try control.set(frozen: false)
    }

    /// Whether the kernel reports the guest frozen now.
    public var isFrozen: Bool { freezeControl?.isFrozen ?? false }
}

/// The freezing file of one cgroup, and how to read whether it took.
public struct FreezeControl: Sendable, Equatable {
    public let directory: String
    /// 2: cgroup.freeze and cgroup.events; 1: the freezer's freezer.state.
    public let version: Int

    func set(frozen: Bool) throws(KernelError) {
        if version == 2 {
            try SysFile.write(frozen ? "1" : "0", to: directory + "/cgroup.freeze")
        } else {
            try SysFile.write(frozen ? "FROZEN" : "THAWED", to: directory + "/freezer.state")
        }
    }

    /// v2: `frozen 1` in cgroup.events (set once every process stopped,
    /// where cgroup.freeze says only what was asked); v1: FROZEN, not FREEZING.
    public var isFrozen: Bool {
        if version == 2 {
            let events = SysFile.readIfPresent(directory + "/cgroup.events") ?? ""
            return events.split(separator: "\n").contains("frozen 1")
        }
        return (SysFile.readIfPresent(directory + "/freezer.state") ?? "").hasPrefix("FROZEN")
    }

    /// What was asked, whether or not it took yet: v2 cgroup.freeze is 1, v1 not THAWED.
    public var isFreezeRequested: Bool {
        if version == 2 { return (SysFile.readIfPresent(directory + "/cgroup.freeze") ?? "").hasPrefix("1") }
        return !(SysFile.readIfPresent(directory + "/freezer.state") ?? "THAWED").hasPrefix("THAWED")
    }
}
