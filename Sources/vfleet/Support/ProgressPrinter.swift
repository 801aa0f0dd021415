import FleetController
import FleetProtocol
import Foundation
import Synchronization

/// Shows a move's progress: a live line (bytes, rate, time left) on a
/// terminal, plain lines per step otherwise (logs, pipes).
final class ProgressPrinter: Sendable {
    let live = isatty(2) != 0
    private let last = Mutex<(step: String, at: Double)>(("", 0))

    func callback() -> @Sendable (MoveProgress) -> Void {
        { [self] p in self.show(p) }
    }

    func show(_ p: MoveProgress) {
        let now = Date().timeIntervalSince1970
        let (previous, at) = last.withLock { $0 }
        if p.bytes == 0 {
            if live { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
            FileHandle.standardError.write(Data("\(p.guest): \(p.step) done (\(String(format: "%.1f", p.seconds)) s)\n".utf8))
            last.withLock { $0 = (p.step, now) }
            return
        }
        guard live else {
            // Logs and pipes: the step once, then a line every 10 s of a long copy.
            if previous != p.step {
                FileHandle.standardError.write(Data("\(p.guest): \(p.step)…\n".utf8))
                last.withLock { $0 = (p.step, now) }
            } else if now - at >= 10 {
                let total = p.totalBytes.map { " of \(ByteSize.format($0))" } ?? ""
                FileHandle.standardError.write(Data("\(p.guest): \(p.step) \(ByteSize.format(p.bytes))\(total) (\(Int(p.seconds)) s)\n".utf8))
                last.withLock { $0 = (p.step, now) }
            }
            return
        }
        guard now - at > 0.2 || previous != p.step else { return }
        last.withLock { $0 = (p.step, now) }
        let rate = p.seconds > 0 ? Double(p.bytes) / p.seconds : 0
        var line = "\r\u{1B}[K\(p.guest): \(p.step) \(ByteSize.format(p.bytes))"
        if let total = p.totalBytes, total > 0 { line += " of \(ByteSize.format(total))" }
        line += " at \(ByteSize.format(UInt64(rate)))/s"
        if let total = p.totalBytes, rate > 0, total > p.bytes {
            line += ", \(Int(Double(total - p.bytes) / rate)) s left"
        }
        FileHandle.standardError.write(Data(line.utf8))
    }
}
