import FleetTree
import FleetTreeStream
import Foundation
import Glibc

/// Reads the RPC stream: lines of JSON, and after a bulk request exactly N
/// raw bytes (a template archive). One buffer serves both, so no byte read
/// ahead for a line is lost to the bulk data.
final class InputReader {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private var start = 0
    private var eof = false
    /// Where reads land before they join `buffer`; made (and zeroed) once.
    private var chunk = [UInt8](repeating: 0, count: 256 * 1024)

    init(fd: Int32 = 0) { self.fd = fd }

    private func fill() -> Bool {
        if eof { return false }
        if start > 0 && start >= buffer.count / 2 {
            buffer.removeFirst(start)
            start = 0
        }
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                eof = true
                return false
            }
            buffer.append(contentsOf: chunk[0..<n])
            return true
        }
    }

    var bufferCount: Int { buffer.count }

    /// One read into `out`, for when nothing is buffered; 0 at the end of input.
    func readDirectly(into out: UnsafeMutableRawBufferPointer) -> Int {
        if eof { return 0 }
        while true {
            let n = read(fd, out.baseAddress, out.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                eof = true
                return 0
            }
            return n
        }
    }

    func refill() -> Bool { fill() }

    /// Moves buffered bytes into `out`; returns how many.
    func take(into out: UnsafeMutableRawBufferPointer) -> Int {
        let n = min(out.count, buffer.count - start)
        guard n > 0 else { return 0 }
        buffer.withUnsafeBytes { raw in
            out.baseAddress!.copyMemory(from: raw.baseAddress! + start, byteCount: n)
        }
        start += n
        return n
    }

    /// The next line without its newline; nil at the end of input.
    func readLine() -> String? {
        var searchFrom = start
        while true {
            if let nl = buffer[searchFrom...].firstIndex(of: 10) {
                let line = String(decoding: buffer[start..<nl], as: UTF8.self)
                start = nl + 1
                return line
            }
            searchFrom = buffer.count
            let before = buffer.count - start
            if !fill() {
                if before == 0 { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return line
            }
            searchFrom = start + before
        }
    }

    /// Copies exactly `count` bytes to `fd`; false if the input ended first.
    func copy(_ count: UInt64, to out: Int32) -> Bool {
        var left = count
        while left > 0 {
            if start >= buffer.count && !fill() { return false }
            let take = min(UInt64(buffer.count - start), left)
            let ok = buffer[start..<(start + Int(take))].withUnsafeBytes { raw -> Bool in
                var off = 0
                while off < raw.count {
                    let n = write(out, raw.baseAddress! + off, raw.count - off)
                    if n < 0 { if errno == EINTR { continue }; return false }
                    off += n
                }
                return true
            }
            start += Int(take)
            left -= take
            if !ok { return false }
        }
        return true
    }
}

extension InputReader {
    /// Reads from this size on go straight into the caller's buffer when
    /// nothing is buffered: bulk data (a guest layer) then crosses no buffer
    /// of ours. Smaller reads (chunk headers) go through the buffer, so they
    /// do not cost a system call each.
    static let directReadSize = 32 * 1024

    /// Reads what is buffered, or blocks for more; 0 at the end of input.
    func readSome(into out: UnsafeMutableRawBufferPointer) -> Int {
        if start >= bufferCount && out.count >= Self.directReadSize { return readDirectly(into: out) }
        if start >= bufferCount && !refill() { return 0 }
        return take(into: out)
    }
}

/// The RPC input as a byte source for bulk streams (guest layers).
struct InputByteSource: ByteSource {
    let reader: InputReader
    mutating func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        reader.readSome(into: buffer)
    }
}
