import Foundation

/// Every failure thrown by FleetTree's public API.
///
/// The message reads "<operation>: <problem> (<remedy>)", for example
/// `cannot import template archive /x.tar: member "../etc/passwd" has a ".." path component (fix the archive)`,
/// so it can be shown to an operator as is.
public struct TreeError: Error, Sendable, Equatable, CustomStringConvertible, LocalizedError {
    /// What was being attempted, e.g. `cannot import template archive /x.tar`.
    public let operation: String
    /// The archive member or tree-relative path the failure is about, when there is one.
    public let path: String?
    /// What went wrong.
    public let problem: String
    /// What the caller can do about it.
    public let remedy: String
    /// The `errno` of the failed system call, when a system call failed.
    public let errnoCode: Int32?

    public init(operation: String, path: String? = nil, problem: String, remedy: String, errnoCode: Int32? = nil) {
        self.operation = operation
        self.path = path
        self.problem = problem
        self.remedy = remedy
        self.errnoCode = errnoCode
    }

    package init(operation: String, _ problem: TreeProblem) {
        self.init(
            operation: operation,
            path: problem.path,
            problem: problem.problem,
            remedy: problem.remedy,
            errnoCode: problem.errnoCode
        )
    }

    public var description: String { "\(operation): \(problem) (\(remedy))" }

    public var errorDescription: String? { description }
}
