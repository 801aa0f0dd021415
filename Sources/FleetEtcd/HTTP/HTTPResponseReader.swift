import Foundation

/// Reads HTTP/1.1 responses from a connection: the head, then a body framed
/// by Content-Length, by chunks (read whole or one chunk at a time, for
/// streams such as a watch), or by the end of the connection.
struct HTTPResponseReader {
    struct Head {
        let status: Int
        let headers: [String: String]

        var isChunked: Bool { headers["transfer-encoding"]?.lowercased().contains("chunked") == true }
        var contentLength: Int? { headers["content-length"].flatMap { Int($0.trimmingCharacters(in: .whitespaces)) } }
    }

    struct Malformed: Error {
        let reason: String
    }

    private let connection: HTTPConnection
    private var buffer: [UInt8] = []
    private var start = 0
    private var ended = false
    private var pendingChunkSize: Int?

    init(connection: HTTPConnection) {
        self.connection = connection
    }

    mutating func readHead(deadline: Double) throws -> Head {
        let statusLine = try readLine(deadline: deadline)
        let parts = statusLine.split(separator: " ", maxSplits: 2)
        guard parts.count >= 2, parts[0].hasPrefix("HTTP/1."), let status = Int(parts[1]) else {
            throw Malformed(reason: "not an HTTP/1.1 status line: '\(statusLine.prefix(80))'")
        }
        var headers: [String: String] = [:]
        while true {
            let line = try readLine(deadline: deadline)
            if line.isEmpty { break }
            guard let colon = line.firstIndex(of: ":") else { throw Malformed(reason: "bad header line '\(line.prefix(80))'") }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return Head(status: status, headers: headers)
    }

    /// The whole body.
    mutating func readBody(_ head: Head, deadline: Double) throws -> [UInt8] {
        if head.isChunked {
            var body: [UInt8] = []
            while let chunk = try readChunk(deadline: deadline) { body += chunk }
            return body
        }
        if let length = head.contentLength { return try readExactly(length, deadline: deadline) }
        while try fill(deadline: deadline) {}
        defer { start = buffer.count }
        return Array(buffer[start...])
    }

    /// The next chunk of a chunked body, or nil after the last one. A
    /// deadline that passes mid-chunk leaves the reader where it was, so a
    /// stream can be read with short deadlines (a watch's `next(timeout:)`).
    mutating func readChunk(deadline: Double) throws -> [UInt8]? {
        if pendingChunkSize == nil {
            let sizeLine = try readLine(deadline: deadline)
            let sizeText = sizeLine.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size >= 0 else {
                throw Malformed(reason: "bad chunk size line '\(sizeLine.prefix(40))'")
            }
            pendingChunkSize = size
        }
        let size = pendingChunkSize ?? 0
        if size == 0 {
            while try !readLine(deadline: deadline).isEmpty {}  // trailers
            pendingChunkSize = nil
            return nil
        }
        // The chunk and its CRLF must both be here before any is consumed.
        while buffer.count - start < size + 2 {
            guard try fill(deadline: deadline) else { throw Malformed(reason: "connection closed in the middle of a chunk") }
        }
        guard buffer[start + size] == 13, buffer[start + size + 1] == 10 else { throw Malformed(reason: "chunk not followed by CRLF") }
        let chunk = Array(buffer[start..<start + size])
        start += size + 2
        pendingChunkSize = nil
        return chunk
    }

    private mutating func readExactly(_ count: Int, deadline: Double) throws -> [UInt8] {
        while buffer.count - start < count {
            guard try fill(deadline: deadline) else { throw Malformed(reason: "connection closed \(count - (buffer.count - start)) bytes before the end of the body") }
        }
        defer { start += count }
        return Array(buffer[start..<start + count])
    }

    private mutating func readLine(deadline: Double) throws -> String {
        // Scanned bytes are counted from `start`: `fill` may move the buffer.
        var scanned = 0
        while true {
            if let newline = buffer[(start + scanned)...].firstIndex(of: 10) {
                var end = newline
                if end > start, buffer[end - 1] == 13 { end -= 1 }
                defer { start = newline + 1 }
                return String(decoding: buffer[start..<end], as: UTF8.self)
            }
            scanned = buffer.count - start
            guard scanned < 65536 else { throw Malformed(reason: "header line longer than 64 KiB") }
            guard try fill(deadline: deadline) else { throw Malformed(reason: "connection closed in the middle of a line") }
        }
    }

    /// Reads more; false at the end of the stream.
    private mutating func fill(deadline: Double) throws -> Bool {
        if ended { return false }
        if start > 0, start == buffer.count || start >= 65536 {
            buffer.removeFirst(start)
            start = 0
        }
        let more = try connection.receive(deadline: deadline)
        if more.isEmpty {
            ended = true
            return false
        }
        buffer += more
        return true
    }
}
