import Glibc

/// The address a direct transfer names for a host: agents bind to it and
/// check connections against it, so it must be numeric. A host enrolled by
/// name (vfleet host add web3 --address web3.example) is named by the
/// address the controller's session to it reached; before, such a host
/// could only be reached through the relay.
enum TransferAddress {
    static func numeric(_ enrolled: String, reached: String?) -> String {
        if isNumeric(enrolled) { return enrolled }
        return reached ?? enrolled
    }

    static func isNumeric(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }
}
