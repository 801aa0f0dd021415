extension Character {
    var isASCIIControl: Bool {
        guard let ascii = asciiValue else { return false }
        return ascii < 0x20 || ascii == 0x7f
    }
}
