import FleetProtocol
import Glibc

/// The sockets of a direct transfer: numeric addresses only (a host's fleet
/// address), timeouts on every socket so nothing waits forever.
enum TransferSocket {
    /// A handshake (and the transfer id after it) must be done in this time.
    static let handshakeSeconds = 5.0
    /// A stream quiet for this long (a killed peer, a cut link) ends the transfer.
    static let idleSeconds = 30.0

    static func socketAddress(_ text: String, port: Int) -> (sockaddr_storage, socklen_t)? {
        var storage = sockaddr_storage()
        if text.contains(":") {
            var a = sockaddr_in6()
            a.sin6_family = sa_family_t(AF_INET6)
            a.sin6_port = in_port_t(UInt16(port).bigEndian)
            guard inet_pton(AF_INET6, text, &a.sin6_addr) == 1 else { return nil }
            withUnsafeMutableBytes(of: &storage) { s in withUnsafeBytes(of: a) { s.copyMemory(from: $0) } }
            return (storage, socklen_t(MemoryLayout<sockaddr_in6>.size))
        }
        var a = sockaddr_in()
        a.sin_family = sa_family_t(AF_INET)
        a.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, text, &a.sin_addr) == 1 else { return nil }
        withUnsafeMutableBytes(of: &storage) { s in withUnsafeBytes(of: a) { s.copyMemory(from: $0) } }
        return (storage, socklen_t(MemoryLayout<sockaddr_in>.size))
    }

    /// The numeric text of a peer's address (an IPv4-mapped IPv6 address as IPv4).
    static func text(_ storage: sockaddr_storage) -> String {
        var s = storage
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        if Int32(s.ss_family) == AF_INET {
            withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                var a = p.pointee.sin_addr
                _ = inet_ntop(AF_INET, &a, &buffer, socklen_t(buffer.count))
            } }
        } else {
            withUnsafePointer(to: &s) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                var a = p.pointee.sin6_addr
                _ = inet_ntop(AF_INET6, &a, &buffer, socklen_t(buffer.count))
            } }
        }
        let text = buffer.cText
        return text.hasPrefix("::ffff:") && text.contains(".") ? String(text.dropFirst(7)) : text
    }

    static func setTimeouts(_ fd: Int32, seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - seconds.rounded(.down)) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends each write at once. Without it a small write that follows
    /// unacknowledged data (the transfer id after the client's TLS Finished,
    /// the end of a stream) waited for the peer's delayed ACK: 40 ms, twice
    /// per transfer. The stream's own writes are 256 KiB chunks, which
    /// Nagle's algorithm would not merge anyway.
    static func sendImmediately(_ fd: Int32) {
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
    }

    /// A listening socket on the first free port of `ports` at `address`.
    static func listen(address: String, ports: ClosedRange<Int>) throws(FleetError) -> (fd: Int32, port: Int) {
        guard socketAddress(address, port: 0) != nil else {
            throw .invalid("transfer.listen: \(address) is not a numeric IP address (a direct transfer needs the host's fleet address)")
        }
        var lastError: Int32 = 0
        for port in ports {
            guard let (at, len) = socketAddress(address, port: port) else { continue }
            var sa = at
            let fd = socket(Int32(sa.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            if fd < 0 { throw .failed("transfer.listen: cannot make a socket: \(String(cString: strerror(errno)))") }
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            let bound = withUnsafePointer(to: &sa) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
            if bound == 0 && Glibc.listen(fd, 4) == 0 { return (fd, port) }
            lastError = errno
            close(fd)
            if lastError != EADDRINUSE { break }
        }
        throw FleetError(.unreachable, "transfer.listen: no free transfer port in \(ports.lowerBound)-\(ports.upperBound) on \(address) (\(String(cString: strerror(lastError))); widen transferPorts in agent.json, or move with --transport relay)")
    }

    /// Connects from `from` to `to`:`port` within `seconds`.
    static func connect(from: String, to: String, port: Int, seconds: Double) throws(FleetError) -> Int32 {
        guard let (localAddress, localLen) = socketAddress(from, port: 0) else {
            throw .invalid("transfer.send: \(from) is not a numeric IP address (a direct transfer needs the host's fleet address)")
        }
        guard let (remoteAddress, remoteLen) = socketAddress(to, port: port), remoteAddress.ss_family == localAddress.ss_family else {
            throw .invalid("transfer.send: \(to) is not a numeric IP address of the same family as \(from)")
        }
        var local = localAddress
        var remote = remoteAddress
        let fd = socket(Int32(local.ss_family), Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        if fd < 0 { throw .failed("transfer.send: cannot make a socket: \(String(cString: strerror(errno)))") }
        let bound = withUnsafePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, localLen) } }
        guard bound == 0 else {
            let e = errno
            close(fd)
            throw .failed("transfer.send: cannot bind to this host's fleet address \(from): \(String(cString: strerror(e)))")
        }
        let started = withUnsafePointer(to: &remote) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.connect(fd, $0, remoteLen) } }
        var failure: Int32 = started == 0 ? 0 : errno
        if started != 0 && failure == EINPROGRESS {
            var p = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            let ready = poll(&p, 1, Int32(seconds * 1000))
            if ready <= 0 {
                failure = ETIMEDOUT
            } else {
                var so: Int32 = 0
                var l = socklen_t(MemoryLayout<Int32>.size)
                getsockopt(fd, SOL_SOCKET, SO_ERROR, &so, &l)
                failure = so
            }
        }
        guard failure == 0 else {
            close(fd)
            throw FleetError(.unreachable, "transfer.send: cannot reach \(to):\(port) from \(from) within \(seconds) s: \(String(cString: strerror(failure)))")
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        sendImmediately(fd)
        return fd
    }
}
