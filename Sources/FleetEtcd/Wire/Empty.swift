import Foundation

/// A request with no fields, or an answer whose fields nobody reads.
struct Empty: Codable {}
