/// One `key=value` host label, as a dictionary key for the label index.
struct LabelPair: Hashable, Sendable {
    var key: String
    var value: String
}
