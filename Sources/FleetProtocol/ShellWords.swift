/// Splits a command line the way a POSIX shell splits words: blanks
/// separate, single quotes keep everything, double quotes keep blanks,
/// a backslash escapes the next character. No expansion of any kind.
public enum ShellWords {
    public static func split(_ line: String) throws(FleetError) -> [String] {
        var words: [String] = []
        var current = ""
        var inWord = false
        var quote: Character?
        var escaped = false
        for c in line {
            if escaped {
                current.append(c)
                escaped = false
                inWord = true
                continue
            }
            switch (quote, c) {
            case ("'", "'"), ("\"", "\""):
                quote = nil
            case ("'", _):
                current.append(c)
            case ("\"", "\\"), (nil, "\\"):
                escaped = true
            case ("\"", _):
                current.append(c)
            case (nil, "'"), (nil, "\""):
                quote = c
                inWord = true
            case (nil, _) where c == " " || c == "\t" || c == "\n":
                if inWord { words.append(current) }
                current = ""
                inWord = false
            default:
                current.append(c)
                inWord = true
            }
        }
        if quote != nil { throw .invalid("unterminated \(quote!) quote in \"\(line)\"") }
        if escaped { throw .invalid("trailing backslash in \"\(line)\"") }
        if inWord { words.append(current) }
        return words
    }

    /// The inverse, for display: quotes words that need it.
    public static func join(_ words: [String]) -> String {
        words.map { w in
            if !w.isEmpty && w.allSatisfy({ $0.isLetter || $0.isNumber || "-_./=:,@+%".contains($0) }) { return w }
            return "'" + w.replacingAll("'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}

extension String {
    func replacingAll(_ target: Character, with replacement: String) -> String {
        var out = ""
        for c in self { if c == target { out += replacement } else { out.append(c) } }
        return out
    }
}
