import FleetTree
import FleetTreeStream
import Foundation
import Glibc

/// A line of the RPC input, or the length of one too long to keep.
enum InputLine: Equatable {
    case line(String)
    case tooLong(bytes: Int)
}

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
    /// The longest line kept (without its newline); see ``readLine()``.
    let maxLineBytes: Int

    init(fd: Int32 = 0, maxLineBytes: Int = AgentConfig.defaultMaxRequestLineBytes) {
        self.fd = fd
        self.maxLineBytes = maxLineBytes
    }

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

    /// The next line without its newline; nil at the end of input. A line
    /// longer than `maxLineBytes` is not kept: its bytes are dropped as they
    /// arrive, up to its newline, and only its length is reported, so no
    /// line makes the buffer hold much more than the cap (one read beyond).
    func readLine() -> InputLine? {
        var searchFrom = start
        while true {
            if let nl = buffer[searchFrom...].firstIndex(of: 10) {
                let length = nl - start
                if length > maxLineBytes {
                    start = nl + 1
                    return .tooLong(bytes: length)
                }
                let line = String(decoding: buffer[start..<nl], as: UTF8.self)
                start = nl + 1
                return .line(line)
            }
            let before = buffer.count - start
            if before > maxLineBytes { return .tooLong(bytes: discardRestOfLine(alreadyRead: before)) }
            if !fill() {
                if before == 0 { return nil }
                let line = String(decoding: buffer[start...], as: UTF8.self)
                start = buffer.count
                return .line(line)
            }
            searchFrom = start + before
        }
    }

    /// Drops the buffered part of an overlong line and reads on, keeping
    /// nothing, to just after its newline (or the end of input). What
    /// follows the newline in the last read stays buffered. Returns the
    /// line's length.
    private func discardRestOfLine(alreadyRead: Int) -> Int {
        var length = alreadyRead
        buffer.removeAll(keepingCapacity: false)
        start = 0
        while true {
            let n = read(fd, &chunk, chunk.count)
            if n < 0 && errno == EINTR { continue }
            if n <= 0 {
                eof = true
                return length
            }
            if let nl = chunk[0..<n].firstIndex(of: 10) {
                length += nl
                buffer.append(contentsOf: chunk[(nl + 1)..<n])
                return length
            }
            length += n
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
