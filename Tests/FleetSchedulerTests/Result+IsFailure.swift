extension Result {
    var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }
}
