import Glibc

/// A failed kernel operation: what was tried, on what, the errno, and what
/// the operator can do about it.
public struct KernelError: Error, CustomStringConvertible, Sendable, Equatable {
    public let operation: String
    public let object: String
    public let errno: Int32
    public let hint: String?

    public init(_ operation: String, _ object: String, errno: Int32, hint: String? = nil) {
        self.operation = operation
        self.object = object
        self.errno = errno
        self.hint = hint
    }

    /// Captures the current errno; call it right after the failing call.
    public static func current(_ operation: String, _ object: String, hint: String? = nil) -> KernelError {
        KernelError(operation, object, errno: Glibc.errno, hint: hint)
    }

    public var description: String {
        var text = object.isEmpty ? operation : "\(operation) \(object)"
        // errno 0: a failed command, whose own words are in the hint.
        if errno != 0 { text += ": \(String(cString: strerror(errno)))" }
        if let hint { text += " (\(hint))" }
        return text
    }
}
