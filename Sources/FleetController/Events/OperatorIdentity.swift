import Foundation
import Glibc

/// Who changes the fleet, as events name them: the OS user running the
/// controller process and the machine it runs on.
public struct OperatorIdentity: Sendable, Equatable {
    public var user: String
    public var machine: String

    public init(user: String, machine: String) {
        self.user = user
        self.machine = machine
    }

    /// This process's: the user of its real uid (with the invoking user
    /// when run through sudo, as sudo says in SUDO_USER: the uid is
    /// authoritative, the name after it is what sudo reported), and the
    /// kernel's host name (no resolver lookup).
    public static func current() -> OperatorIdentity {
        let uid = getuid()
        var user = getpwuid(uid).flatMap { $0.pointee.pw_name.map { String(cString: $0) } } ?? "uid \(uid)"
        if let sudo = ProcessInfo.processInfo.environment["SUDO_USER"], !sudo.isEmpty, sudo != user {
            user += " (sudo from \(sudo))"
        }
        var name = [CChar](repeating: 0, count: 256)
        let machine = gethostname(&name, name.count - 1) == 0 ? name.withUnsafeBufferPointer { String(cString: $0.baseAddress!) } : "unknown"
        return OperatorIdentity(user: user, machine: machine)
    }
}
