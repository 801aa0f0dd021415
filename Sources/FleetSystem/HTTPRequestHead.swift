/// The request line of an HTTP/1.x request head, the only part
/// `HTTPListener` needs (it serves GET without a body).
enum HTTPRequestHead {
    /// The index just past the blank line that ends the head, if it arrived.
    static func end(of bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 3..<bytes.count where bytes[i] == 10 {
            if bytes[i - 1] == 10 { return i + 1 }  // bare LF LF, tolerated
            if bytes[i - 1] == 13 && bytes[i - 2] == 10 && bytes[i - 3] == 13 { return i + 1 }
        }
        return nil
    }

    /// "GET /metrics?x=1 HTTP/1.1": method and path without the query.
    static func parse(_ bytes: [UInt8]) -> HTTPListener.Request? {
        guard let lineEnd = bytes.firstIndex(of: 10) else { return nil }
        let line = String(decoding: bytes[..<lineEnd], as: UTF8.self).trimmingCharacters(in: "\r")
        let parts = line.split(separator: " ", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1."), parts[1].hasPrefix("/") else { return nil }
        let target = parts[1]
        let path = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        return HTTPListener.Request(method: String(parts[0]), path: path)
    }
}

private extension String {
    func trimmingCharacters(in c: Character) -> String {
        var s = Substring(self)
        while s.last == c { s = s.dropLast() }
        return String(s)
    }
}
