import FleetProtocol
import Foundation
import Glibc

/// The highest fencing token this host's agent has seen per guest, in
/// STATE/locks/fence-NAME (a decimal number). Every `vfleet-agent rpc`
/// process of the host shares it: the check and the update happen under an
/// exclusive lock of that file, and the new token is on disk (fsync) before
/// the request it came with runs, so that a restarted agent refuses the
/// same late requests. A request with an older token is refused and
/// written to STATE/fence.log.
struct FenceStore: Sendable {
    let paths: AgentPaths

    var log: AgentLogFile { AgentLogFile(file: paths.root + "/fence.log") }

    func file(_ guest: String) -> String { paths.locks + "/fence-" + guest }

    /// Admits `fence` for `method`, or throws the refusal.
    func admit(_ fence: Fence, method: String) throws(FleetError) {
        try Names.validate(fence.guest, kind: "guest")
        guard fence.token > 0 else { throw .invalid("\(method): fencing token \(fence.token) is not a token (they start at 1)") }
        try paths.ensure()
        let path = file(fence.guest)
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw .failed("\(method): cannot open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        guard flock(fd, LOCK_EX) == 0 else { throw .failed("\(method): cannot lock \(path): \(String(cString: strerror(errno)))") }
        let seen = Self.read(fd)
        if fence.token < seen {
            let message = "guest \(fence.guest): \(method) refused: it comes from operation \(fence.operation) with fencing token \(fence.token), but this host has seen token \(seen) for the guest from the operation's newer owner (the sending controller lost its lease and its operation was taken over; see `vfleet ops show \(fence.operation)`)"
            log.write(message)
            throw .conflict(message)
        }
        if fence.token > seen {
            let text = Array("\(fence.token)\n".utf8)
            let wrote = ftruncate(fd, 0) == 0 && text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) } == text.count
            guard wrote, fsync(fd) == 0 else { throw .failed("\(method): cannot record fencing token \(fence.token) in \(path): \(String(cString: strerror(errno)))") }
        }
    }

    /// The token on record for `guest` (0: none).
    func seen(_ guest: String) -> Int64 {
        let fd = open(file(guest), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        return Self.read(fd)
    }

    private static func read(_ fd: Int32) -> Int64 {
        var buffer = [UInt8](repeating: 0, count: 32)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 31, 0) }
        guard n > 0 else { return 0 }
        return Int64(String(decoding: buffer[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }
}
