/// Names of guests, templates and hosts: `[a-z0-9][a-z0-9-]{0,62}`. They
/// become directory and cgroup names, so nothing else is allowed.
public enum Names {
    public static let maxLength = 63

    public static func isValid(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLength else { return false }
        func ok(_ b: UInt8, first: Bool) -> Bool {
            (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || (!first && b == 45)
        }
        return bytes.enumerated().allSatisfy { ok($0.element, first: $0.offset == 0) }
    }

    /// Throws an error that says which rule `name` breaks.
    public static func validate(_ name: String, kind: String) throws(FleetError) {
        if isValid(name) { return }
        let shown = name.count > 80 ? String(name.prefix(80)) + "…" : name
        let why: String
        if name.isEmpty {
            why = "it is empty"
        } else if name.utf8.count > maxLength {
            why = "it has \(name.utf8.count) characters, at most \(maxLength) are allowed"
        } else if name.first == "-" {
            why = "it starts with \"-\""
        } else {
            why = "only lower-case letters, digits and \"-\" are allowed"
        }
        throw .invalid("invalid \(kind) name \"\(shown)\": \(why) (use [a-z0-9][a-z0-9-]{0,62}, e.g. web1)")
    }

    /// Host names for the guest's UTS namespace (RFC 1123 labels).
    public static func validateHostname(_ name: String) throws(FleetError) {
        let bytes = Array(name.utf8)
        let ok = !bytes.isEmpty && bytes.count <= 64 && bytes.allSatisfy {
            ($0 >= 97 && $0 <= 122) || ($0 >= 65 && $0 <= 90) || ($0 >= 48 && $0 <= 57) || $0 == 45 || $0 == 46
        } && bytes.first != 45 && bytes.first != 46
        if !ok { throw .invalid("invalid hostname \"\(name)\": use letters, digits, \"-\" and \".\", at most 64 characters") }
    }
}
