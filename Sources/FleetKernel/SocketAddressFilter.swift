import CFleetShim
import Glibc

/// Confines the IPv4 sockets of every process in a cgroup v2 directory to a
/// guest's addresses, the way Linux-VServer confined a network context:
///
/// - bind() to one of the addresses works; to the wildcard or to loopback it
///   binds the primary (first) address instead; to anything else it fails
///   with EPERM;
/// - connect() and unconnected UDP sends leave from the primary address (or
///   the one the socket is bound to), and loopback destinations mean the
///   guest's own primary address;
/// - IPv6 sockets may use only v4-mapped addresses (dual-stack servers keep
///   working); real IPv6 destinations and binds fail with EPERM;
/// - a socket the kernel bound to the wildcard itself (listen() or a UDP
///   send without bind()) receives only packets addressed to the guest,
///   and may not connect() (it would leave from the host's address).
///
/// - ICMP datagram ("ping") sockets, whose bind and sends no hook sees,
///   cannot be created (EPERM).
///
/// The work is done by eight cgroup BPF programs (see fleet_sockfilter.h):
/// seven run at socket, bind, connect and sendmsg only; the eighth checks
/// the destination of each packet a guest's socket receives.
/// They apply to the cgroup's descendants too and are attached without
/// override, so a guest cannot replace them in a cgroup of its own.
public struct SocketAddressFilter: Sendable {
    /// The guest's addresses as given; the first is the primary address.
    public let addresses: [String]
    /// The same addresses in network byte order, as the programs compare them.
    let networkOrder: [UInt32]

    /// Lets binds to ports below 1024 through without CAP_NET_BIND_SERVICE
    /// in the host's user namespace: for a guest that has it in its own.
    public var waivesBindServiceCheck = false

    /// Most addresses per guest: each is an unrolled compare in the programs.
    public static let maximumAddresses = Int(VF_SOCKFILTER_MAX_ADDRS)

    /// Validates a guest's address list: 1 to 16 dotted IPv4 unicast
    /// addresses, no duplicates, none of 0.0.0.0 or 127.0.0.0/8 (those are
    /// what the filter rewrites, so they cannot be a guest's own).
    public init(addresses: [String]) throws(KernelError) {
        guard !addresses.isEmpty else {
            throw KernelError("check guest addresses", "(none given)", errno: EINVAL,
                              hint: "a filtered guest needs at least one IPv4 address")
        }
        guard addresses.count <= Self.maximumAddresses else {
            throw KernelError("check guest addresses", "(\(addresses.count) given)", errno: EINVAL,
                              hint: "at most \(Self.maximumAddresses) addresses per guest")
        }
        var words: [UInt32] = []
        for text in addresses {
            var address = in_addr()
            // inet_pton accepts exactly a.b.c.d in decimal, unlike inet_aton
            // ("10.1" or "0x0a000001" would silently mean something else).
            guard inet_pton(AF_INET, text, &address) == 1 else {
                throw KernelError("check guest address", "\"\(text)\"", errno: EINVAL,
                                  hint: "not a dotted IPv4 address such as 10.0.0.2")
            }
            let host = UInt32(bigEndian: address.s_addr)
            if let problem = Self.problem(withHostOrder: host) {
                throw KernelError("check guest address", "\"\(text)\"", errno: EINVAL, hint: problem)
            }
            guard !words.contains(address.s_addr) else {
                throw KernelError("check guest address", "\"\(text)\"", errno: EINVAL, hint: "listed twice")
            }
            words.append(address.s_addr)
        }
        self.addresses = addresses
        self.networkOrder = words
    }

    private static func problem(withHostOrder a: UInt32) -> String? {
        if a == 0 { return "0.0.0.0 is the wildcard, not an address a guest can own" }
        if a >> 24 == 127 { return "loopback addresses are mapped to the guest's primary address; give the guest's own addresses" }
        if a >> 28 == 0xE { return "a multicast address cannot be a guest's address" }
        if a >> 28 == 0xF { return "a reserved or broadcast address cannot be a guest's address" }
        return nil
    }

    /// Loads the eight programs and attaches them to the cgroup v2 directory.
    /// Attaching again replaces this cgroup's programs (a guest's addresses
    /// changed). If any step fails, the programs this call attached are
    /// detached again before the error is thrown.
    public func attach(toCgroup directory: String) throws(KernelError) {
        let fd = try Self.openCgroup(directory)
        defer { close(fd) }
        var what = [CChar](repeating: 0, count: 512)
        // Verifier logs of these programs are a few KiB; 64 KiB leaves room.
        var log = [CChar](repeating: 0, count: 64 * 1024)
        let result = networkOrder.withUnsafeBufferPointer { words in
            what.withUnsafeMutableBufferPointer { whatBuffer in
                log.withUnsafeMutableBufferPointer { logBuffer in
                    vf_sockfilter_attach(fd, directory, words.baseAddress, Int32(words.count),
                                         waivesBindServiceCheck ? VF_SOCKFILTER_BIND_SERVICE : 0,
                                         whatBuffer.baseAddress, whatBuffer.count,
                                         logBuffer.baseAddress, logBuffer.count)
                }
            }
        }
        try Self.check(result, what: what, log: log, directory: directory)
    }

    /// For a user namespace guest on the host's network without a filter:
    /// every bind allowed, ports below 1024 included (the guest holds
    /// CAP_NET_BIND_SERVICE in its own user namespace, which the host's
    /// network does not consult).
    public static func attachBindService(toCgroup directory: String) throws(KernelError) {
        let fd = try openCgroup(directory)
        defer { close(fd) }
        var what = [CChar](repeating: 0, count: 512)
        var log = [CChar](repeating: 0, count: 16 * 1024)
        let result = what.withUnsafeMutableBufferPointer { whatBuffer in
            log.withUnsafeMutableBufferPointer { logBuffer in
                vf_bind_service_attach(fd, directory, whatBuffer.baseAddress, whatBuffer.count, logBuffer.baseAddress, logBuffer.count)
            }
        }
        try check(result, what: what, log: log, directory: directory)
    }

    private static func check(_ result: Int32, what: [CChar], log: [CChar], directory: String) throws(KernelError) {
        guard result < 0 else { return }
        let step = Self.text(what)
        let err = -result
        let hint: String?
        if step.hasPrefix("load ") {
            hint = Self.verifierHint(Self.text(log), errno: err)
        } else if step.hasPrefix("attach ") {
            hint = Self.attachHint(errno: err)
        } else {
            hint = nil
        }
        throw KernelError(step.isEmpty ? "attach socket address filter to" : step,
                          step.isEmpty ? directory : "", errno: err, hint: hint)
    }

    /// Detaches every program of the filter's eight attach types from the cgroup
    /// directory (used when a guest's networking is reconfigured). A cgroup
    /// without programs is not an error.
    public static func detach(fromCgroup directory: String) throws(KernelError) {
        let fd = try openCgroup(directory)
        defer { close(fd) }
        var what = [CChar](repeating: 0, count: 512)
        let result = what.withUnsafeMutableBufferPointer { whatBuffer in
            vf_sockfilter_detach(fd, directory, whatBuffer.baseAddress, whatBuffer.count)
        }
        if result < 0 {
            throw KernelError(text(what), "", errno: -result,
                              hint: result == -EBADF || result == -EINVAL ? attachHint(errno: -result) : nil)
        }
    }

    /// How many programs of the filter's eight attach types are attached directly to
    /// the cgroup directory (8 with this filter). 0 when the directory cannot
    /// be opened or queried, as no program can be attached there either.
    public static func attached(toCgroup directory: String) -> Int {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return 0 }
        defer { close(fd) }
        let count = vf_sockfilter_count(fd, directory, nil, 0)
        return count < 0 ? 0 : Int(count)
    }

    /// Whether this kernel loads the filter's programs: nil when it does,
    /// else what failed (loads and frees them, attaches nothing).
    public static func kernelRefusal() -> String? {
        var what = [CChar](repeating: 0, count: 512)
        var log = [CChar](repeating: 0, count: 16 * 1024)
        let result = what.withUnsafeMutableBufferPointer { whatBuffer in
            log.withUnsafeMutableBufferPointer { logBuffer in
                vf_sockfilter_probe(whatBuffer.baseAddress, whatBuffer.count, logBuffer.baseAddress, logBuffer.count)
            }
        }
        guard result < 0 else { return nil }
        let hint = verifierHint(text(log), errno: -result)
        return "\(text(what)): \(String(cString: strerror(-result))) (\(hint))"
    }

    // MARK: - Helpers

    private static func openCgroup(_ directory: String) throws(KernelError) -> Int32 {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else {
            let hint = errno == ENOENT ? "create the guest's cgroup first" : nil
            throw .current("open cgroup directory", directory, hint: hint)
        }
        return fd
    }

    private static func attachHint(errno err: Int32) -> String? {
        switch err {
        case EBADF, EINVAL:
            return "needs a cgroup v2 (unified) hierarchy and CONFIG_CGROUP_BPF"
        case EPERM:
            // Both causes give EPERM: missing privilege, or an ancestor that
            // attached its own program of this type without override.
            return "needs CAP_SYS_ADMIN (or CAP_BPF and CAP_NET_ADMIN), and no cgroup above may hold a non-overridable program on this hook"
        default:
            return nil
        }
    }

    /// The verifier's explanation for the operator: the first lines of its
    /// log and, when the log is longer, the last lines too, because the
    /// verifier states the reason it stopped at the end.
    private static func verifierHint(_ log: String, errno err: Int32) -> String {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
        guard !lines.isEmpty else {
            if err == EPERM { return "loading BPF programs needs CAP_SYS_ADMIN or CAP_BPF" }
            return "the kernel gave no verifier log; cgroup socket address hooks with 32-bit jumps need Linux 5.1 or later and CONFIG_CGROUP_BPF"
        }
        let head = 6, tail = 3
        var shown = Array(lines.prefix(head))
        if lines.count > head + tail {
            shown.append("…")
            shown += lines.suffix(tail)
        } else if lines.count > head {
            shown += lines.suffix(lines.count - head)
        }
        return "verifier log: " + shown.joined(separator: " | ")
    }

    /// A NUL-terminated C buffer as a String.
    private static func text(_ buffer: [CChar]) -> String {
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}
