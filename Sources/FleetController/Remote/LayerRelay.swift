import FleetProtocol
import FleetSSH
import Foundation

/// Relays a chunked layer stream ([u32 big-endian length][bytes]…, zero
/// length ends it) from one agent's channel to another's: hosts never talk to
/// each other, and need not trust each other. Reads never go past the end
/// chunk, so the source's response line stays on its channel.
enum LayerRelay {
    static func relay(from source: SSHChannel, to destination: SSHChannel, sourceHost: String, destinationHost: String,
                      timeout: Double, progress: (UInt64) -> Void) throws(FleetError) -> UInt64 {
        var header = Data()
        var remaining = 0
        var total: UInt64 = 0
        while true {
            let want = remaining > 0 ? min(remaining, 256 * 1024) : 4 - header.count
            let data: Data
            do { data = try source.read(max: want, timeout: timeout) } catch {
                throw FleetError(.unreachable, "reading guest layer from host \(sourceHost) failed: \(error.message)")
            }
            if data.isEmpty { throw FleetError(.unreachable, "host \(sourceHost) closed the layer stream early") }
            do { try destination.write(data) } catch {
                throw FleetError(.unreachable, "writing guest layer to host \(destinationHost) failed: \(error.message)")
            }
            if remaining > 0 {
                remaining -= data.count
                total += UInt64(data.count)
                progress(total)
                continue
            }
            header.append(data)
            if header.count < 4 { continue }
            let length = header.reduce(0) { $0 << 8 | Int($1) }
            header.removeAll()
            if length == 0 { return total }
            remaining = length
        }
    }
}
