import Foundation

extension SSHEndpoint {
    /// Parses "ADDR", "ADDR:PORT", "[v6]:PORT" (and a bare IPv6 address,
    /// which cannot carry a port without brackets). The port defaults to 22.
    public static func parseAddress(_ text: String) throws(SSHError) -> (host: String, port: Int) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw invalidAddress(text, "it is empty") }

        if trimmed.hasPrefix("[") {
            guard let close = trimmed.firstIndex(of: "]") else {
                throw invalidAddress(text, "the \"[\" has no matching \"]\"")
            }
            let host = String(trimmed[trimmed.index(after: trimmed.startIndex)..<close])
            guard host.contains(":") else {
                throw invalidAddress(text, "brackets are only for IPv6 addresses")
            }
            let rest = trimmed[trimmed.index(after: close)...]
            var port = 22
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else {
                    throw invalidAddress(text, "expected \":PORT\" after \"]\"")
                }
                port = try parsePort(String(rest.dropFirst()), in: text)
            }
            try checkHost(host, in: text)
            return (host, port)
        }

        let colons = trimmed.filter { $0 == ":" }.count
        if colons == 0 {
            try checkHost(trimmed, in: text)
            return (trimmed, 22)
        }
        if colons == 1, let colon = trimmed.firstIndex(of: ":") {
            let host = String(trimmed[..<colon])
            let port = try parsePort(String(trimmed[trimmed.index(after: colon)...]), in: text)
            try checkHost(host, in: text)
            return (host, port)
        }
        // Several colons and no brackets: only a bare IPv6 address fits.
        try checkHost(trimmed, in: text)
        return (trimmed, 22)
    }

    static func parsePort(_ text: String, in address: String) throws(SSHError) -> Int {
        guard !text.isEmpty, text.count <= 5, text.allSatisfy({ $0.isASCII && $0.isNumber }),
              let port = Int(text), (1...65535).contains(port)
        else { throw invalidAddress(address, "the port must be a number from 1 to 65535") }
        return port
    }

    /// Accepts IPv4 addresses, DNS names and IPv6 addresses (with an
    /// optional %zone); rejects anything libssh or a shell could misread.
    static func checkHost(_ host: String, in address: String) throws(SSHError) {
        guard !host.isEmpty else { throw invalidAddress(address, "the host is empty") }
        if host.contains(":") {
            let parts = host.split(separator: "%", maxSplits: 1, omittingEmptySubsequences: false)
            var storage = in6_addr()
            guard inet_pton(AF_INET6, String(parts[0]), &storage) == 1 else {
                throw invalidAddress(address, "\"\(parts[0])\" is not an IPv6 address")
            }
            if parts.count == 2, parts[1].isEmpty || !parts[1].allSatisfy(isNameCharacter) {
                throw invalidAddress(address, "the IPv6 zone after \"%\" is not an interface name")
            }
            return
        }
        guard host.count <= 253, host.allSatisfy(isNameCharacter), !host.hasPrefix("-"), !host.hasPrefix(".")
        else {
            throw invalidAddress(address, "a host is an IP address or a name of letters, digits, \".\", \"-\" and \"_\"")
        }
    }

    private static func isNameCharacter(_ c: Character) -> Bool {
        c.isASCII && (c.isLetter || c.isNumber || c == "." || c == "-" || c == "_")
    }

    private static func invalidAddress(_ text: String, _ why: String) -> SSHError {
        let shown = text.count > 80 ? String(text.prefix(80)) + "…" : text
        return SSHError(
            kind: .invalidArgument,
            message: "invalid host address \"\(shown)\": \(why) (use ADDR, ADDR:PORT or [IPv6]:PORT)")
    }
}
