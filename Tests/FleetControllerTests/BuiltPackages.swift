import Foundation
import Synchronization

/// The two .deb files of `scripts/package`, built once per test run (a
/// release build; minutes on a cold tree, seconds when it is up to date)
/// and shared by every test that needs them.
///
/// The build runs on a thread of its own and the tests await it: Swift
/// Testing runs test bodies on the cooperative pool, as wide as the machine
/// has cores, and a test blocked for minutes in the build (or in a lazy
/// `static let` waiting for it) holds one of its threads. On a 2-core machine
/// the package test and the Ansible test blocked both, and every other
/// suite of the run waited ~8 minutes for the build to end.
enum BuiltPackages {
    struct Debs: Sendable {
        let vfleet: String
        let agent: String
        /// scripts/package's progress, lintian's warnings included.
        let log: String
        let seconds: Double
    }

    static let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().path

    private enum State {
        case notStarted
        case building([CheckedContinuation<Result<Debs, ScratchSystemError>, Never>])
        case built(Result<Debs, ScratchSystemError>)
    }

    private static let state = Mutex(State.notStarted)

    /// The packages, built by the first caller's request; later callers wait
    /// for the same build without holding a thread of the pool.
    static func debs() async throws -> Debs {
        try await withCheckedContinuation { (waiter: CheckedContinuation<Result<Debs, ScratchSystemError>, Never>) in
            let (ready, start): (Result<Debs, ScratchSystemError>?, Bool) = state.withLock { s in
                switch s {
                case .built(let result): return (result, false)
                case .building(let waiters):
                    s = .building(waiters + [waiter])
                    return (nil, false)
                case .notStarted:
                    s = .building([waiter])
                    return (nil, true)
                }
            }
            if let ready { waiter.resume(returning: ready) }
            if start {
                Thread {
                    let result = build()
                    let waiters: [CheckedContinuation<Result<Debs, ScratchSystemError>, Never>] = state.withLock { s in
                        defer { s = .built(result) }
                        if case .building(let waiters) = s { return waiters }
                        return []
                    }
                    for w in waiters { w.resume(returning: result) }
                }.start()
            }
        }.get()
    }

    private static func build() -> Result<Debs, ScratchSystemError> {
        let start = Date()
        do {
            let r = try DeployShell.run([repo + "/scripts/package"], cwd: repo)
            guard r.status == 0 else {
                return .failure(ScratchSystemError(message: "scripts/package failed (\(r.status)):\n\(r.err.suffix(6000))"))
            }
            let paths = r.out.split(separator: "\n").map(String.init)
            guard let vfleet = paths.first(where: { ($0 as NSString).lastPathComponent.hasPrefix("vfleet_") }),
                  let agent = paths.first(where: { ($0 as NSString).lastPathComponent.hasPrefix("vfleet-agent_") }) else {
                return .failure(ScratchSystemError(message: "scripts/package printed no .deb paths: \(r.out)"))
            }
            return .success(Debs(vfleet: vfleet, agent: agent, log: r.err, seconds: Date().timeIntervalSince(start)))
        } catch {
            return .failure(ScratchSystemError(message: "scripts/package could not run: \(error)"))
        }
    }
}
