import FleetKernel
import FleetProtocol
import Glibc

extension Agent {
    public struct BatchOutcome: Sendable {
        public var done: [String] = []
        public var failed: [(String, FleetError)] = []
        /// Guests left for the controller to start (boot: replicated ones).
        public var left: [String] = []
    }

    /// `vfleet-agent boot`: starts every stopped guest marked autostart,
    /// except a replicated one (ReplicatedMark): its standby may run it
    /// now, so the controller starts it (`left`). A guest that fails does
    /// not keep the others from starting.
    public func bootAutostart() -> BatchOutcome {
        var outcome = BatchOutcome()
        for record in guests.all() where record.spec.autostart && !cgroup(of: record.spec.name).isPopulated {
            if ReplicatedMark.isSet(paths, record.spec.name) {
                outcome.left.append(record.spec.name)
                continue
            }
            do {
                _ = try start(record.spec.name)
                outcome.done.append(record.spec.name)
            } catch {
                outcome.failed.append((record.spec.name, error))
            }
        }
        return outcome
    }

    /// `vfleet-agent shutdown`: stops every running guest cleanly.
    public func shutdownAll(timeout: Double) -> BatchOutcome {
        var outcome = BatchOutcome()
        for record in guests.all() where cgroup(of: record.spec.name).isPopulated {
            do {
                _ = try stop(record.spec.name, timeout: timeout)
                outcome.done.append(record.spec.name)
            } catch {
                outcome.failed.append((record.spec.name, error))
            }
        }
        return outcome
    }
}

extension Agent {
    /// For `start --wait`: waits until the init this process started ends,
    /// then clears what is left of the guest. Returns init's exit status.
    public func waitForInit(_ name: String, pid: pid_t) throws(FleetError) -> Int32 {
        let status = ChildProcesses.waitStatus(pid)
        let lock = try guestLock(name)
        defer { withExtendedLifetime(lock) {} }
        // Init is gone, so is its pid namespace; only the cgroup remains.
        let cg = cgroup(of: name)
        do {
            try cg.killAll(timeoutSeconds: 10)
            try cg.remove()
        } catch {
            throw .failed("guest \(name) ended but cannot be cleared: \(error)")
        }
        ConsoleLoggerRecord.waitAndRemove(paths.guestConsoleLogger(name))
        if (try? guests.load(name))?.spec.limits.diskBytes != nil { unmountIdleLayerDisk(name) }
        return status
    }
}
