import FleetTree

/// Decoding of tar's numeric header fields: NUL- or space-terminated octal
/// text, or GNU base-256 (a leading 0x80 or 0xff byte followed by a big-endian
/// two's-complement number) for values too large for octal.
enum TarNumericField {
    /// The field's value, or nil when it is neither valid octal nor valid
    /// base-256 or does not fit in 64 bits.
    static func decode(_ field: ArraySlice<UInt8>) -> Int64? {
        guard let first = field.first else { return 0 }
        if first == 0x80 || first == 0xff {
            return decodeBase256(field)
        }
        return decodeOctal(field)
    }

    private static func decodeBase256(_ field: ArraySlice<UInt8>) -> Int64? {
        // 0x80 marks a positive number, 0xff a negative one (its remaining
        // bits are all sign bits); the following bytes are the digits.
        var value: Int64 = field.first == 0xff ? -1 : 0
        for byte in field.dropFirst() {
            let shifted = value.multipliedReportingOverflow(by: 256)
            if shifted.overflow { return nil }
            let added = shifted.partialValue.addingReportingOverflow(Int64(byte))
            if added.overflow { return nil }
            value = added.partialValue
        }
        return value
    }

    private static func decodeOctal(_ field: ArraySlice<UInt8>) -> Int64? {
        var index = field.startIndex
        while index < field.endIndex && field[index] == UInt8(ascii: " ") { index += 1 }
        var value: Int64 = 0
        while index < field.endIndex {
            let byte = field[index]
            if byte == 0 || byte == UInt8(ascii: " ") { break }
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "7") else { return nil }
            let shifted = value.multipliedReportingOverflow(by: 8)
            if shifted.overflow { return nil }
            value = shifted.partialValue + Int64(byte - UInt8(ascii: "0"))
            index += 1
        }
        // Anything after the terminator other than more terminators is corrupt.
        while index < field.endIndex {
            let byte = field[index]
            guard byte == 0 || byte == UInt8(ascii: " ") else { return nil }
            index += 1
        }
        return value
    }
}
