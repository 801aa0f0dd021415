import FleetProtocol
import FleetSSH
import Foundation
import Glibc
import Synchronization

/// template.receive on a bulk channel: the request line, then exactly the
/// archive's bytes, then the answer once the agent has extracted and
/// digested it.
enum TemplateUpload {
    /// Archive bytes this process sent to agents since it started: a direct
    /// template transfer adds nothing (the tests check that none of a
    /// template's bytes passed through the controller).
    static let sentBytes = Atomic<UInt64>(0)

    static func send(_ template: StoredTemplate, on channel: AgentChannel, callTimeout: Double) throws(FleetError) {
        let fd = open(template.archivePath, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw .failed("cannot read template archive \(template.archivePath): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        let id = try channel.send(RPC.TemplateReceive(name: template.name, digest: template.digest, bytes: template.archiveBytes))
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        var sent: UInt64 = 0
        while sent < template.archiveBytes {
            let n = read(fd, &buffer, buffer.count)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FleetError.failed("template archive \(template.archivePath) is shorter than recorded") }
            do { try channel.ssh.write(Data(buffer[0..<n])) } catch {
                throw AgentChannel.fault(error, host: channel.host, doing: "sending template \(template.name)", timeout: nil)
            }
            sent += UInt64(n)
            sentBytes.add(UInt64(n), ordering: .relaxed)
        }
        // Extraction and digest take time on big templates.
        let timeout = max(callTimeout, Double(template.archiveBytes) / 5_000_000 + 30)
        _ = try channel.result(of: RPC.TemplateReceive.self, id: id, timeout: timeout)
    }
}
