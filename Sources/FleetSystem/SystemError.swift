import Glibc

/// What an OS helper could not do, on what, and the system's reason; callers
/// wrap it in their own error type with what to do about it.
public struct SystemError: Error, Sendable, CustomStringConvertible {
    public let what: String
    public let object: String
    public let errno: Int32

    public init(_ what: String, _ object: String, errno: Int32) {
        self.what = what
        self.object = object
        self.errno = errno
    }

    public var reason: String { String(cString: strerror(errno)) }
    public var description: String { "cannot \(what) \(object): \(reason)" }
}
