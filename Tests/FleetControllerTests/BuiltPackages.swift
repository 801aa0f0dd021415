import Foundation

/// The two .deb files of `scripts/package`, built once per test run (a
/// release build; minutes on a cold tree, seconds when it is up to date)
/// and shared by every test that needs them.
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

    static let result: Result<Debs, ScratchSystemError> = build()

    static func debs() throws -> Debs { try result.get() }

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
