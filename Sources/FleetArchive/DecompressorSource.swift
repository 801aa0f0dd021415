import FleetTree
import Foundation
import Glibc

/// Tar bytes produced by an external decompressor (`gzip -dc`, `xz -dc`, …)
/// reading the archive on its standard input and writing into a pipe that
/// is consumed in chunks.
final class DecompressorSource: ArchiveByteSource {
    private let process: Process
    private let output: FileHandle
    /// The decompressor's stderr goes to an unlinked temporary file rather
    /// than a pipe, so a chatty tool can never block on a pipe nobody reads.
    private let errorLog: FileDescriptor
    private let command: String
    private var reachedEnd = false

    init(format: CompressionFormat, archive: borrowing FileDescriptor, archivePath: String) throws {
        let toolName = format.toolName ?? "cat"
        guard let tool = Self.findExecutable(toolName) else {
            throw TreeProblem(
                path: nil,
                problem: "the archive is \(toolName)-compressed but no \(toolName) program was found in PATH",
                remedy: "install the \(format.toolPackage) package or import an uncompressed tar"
            )
        }
        command = "\(toolName) -dc"
        errorLog = try Self.makeErrorLog()
        process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = ["-dc"]
        process.standardInput = FileHandle(fileDescriptor: archive.raw, closeOnDealloc: false)
        process.standardError = FileHandle(fileDescriptor: errorLog.raw, closeOnDealloc: false)
        let pipe = Pipe()
        process.standardOutput = pipe
        output = pipe.fileHandleForReading
        do {
            try process.run()
        } catch {
            throw TreeProblem(
                path: nil,
                problem: "cannot start \(command) (\(tool)) to decompress the archive: \(error)",
                remedy: "check that \(tool) is a working executable"
            )
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        let count = try Posix.read(output.fileDescriptor, into: buffer, displayPath: "output of \(command)")
        if count == 0 { reachedEnd = true }
        return count
    }

    func finishAfterSuccess() throws {
        // Read to the end so the decompressor can verify its trailer (gzip's
        // CRC, xz's check) and exit, and so it cannot block on a full pipe.
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 1 << 16, alignment: 16)
        defer { scratch.deallocate() }
        while try read(into: scratch) > 0 {}
        process.waitUntilExit()
        if let failure = exitFailure() { throw failure }
    }

    func abandon() -> TreeProblem? {
        if reachedEnd {
            // The tool closed its output by itself, so its exit status is meaningful.
            process.waitUntilExit()
            return exitFailure()
        }
        // Closing our end first makes a tool blocked on a full pipe fail at once.
        try? output.close()
        process.terminate()
        process.waitUntilExit()
        return nil
    }

    private func exitFailure() -> TreeProblem? {
        let status = process.terminationStatus
        if process.terminationReason == .exit && status == 0 { return nil }
        let how = process.terminationReason == .exit ? "exit status \(status)" : "signal \(status)"
        let message = errorLogText()
        return TreeProblem(
            path: nil,
            problem: "\(command) failed with \(how)" + (message.isEmpty ? "" : ": \(message)"),
            remedy: "the compressed data is corrupt or truncated; re-create or re-download the archive"
        )
    }

    private func errorLogText() -> String {
        var bytes = [UInt8](repeating: 0, count: 4096)
        let count = bytes.withUnsafeMutableBytes { pread(errorLog.raw, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return "" }
        return String(decoding: bytes[0..<count], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private static func makeErrorLog() throws -> FileDescriptor {
        let directory = ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"
        var template = Array("\(directory)/vfleet-decompress-XXXXXX".utf8CString)
        // mkostemp is hidden behind _GNU_SOURCE in the Glibc module, so the
        // close-on-exec flag is set right after creation instead.
        let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        if fd < 0 { throw TreeProblem.system("create temporary file in", on: directory, errno: errno) }
        _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        // Unlinked at once: the file lives exactly as long as the descriptor.
        template.withUnsafeBufferPointer { _ = unlink($0.baseAddress!) }
        return FileDescriptor(adopting: fd)
    }

    private static func findExecutable(_ name: String) -> String? {
        let searchPath = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for directory in searchPath.split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }
}
