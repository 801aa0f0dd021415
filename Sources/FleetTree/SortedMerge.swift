/// One sorted array from several sorted ones (the threads of a
/// ``ParallelTreeWalk`` each sort what they found): linear in the entries,
/// where sorting the whole again was a twentieth of a digest.
package enum SortedMerge {
    /// `lists`, each sorted by `precedes`, as one sorted array. Stable:
    /// among equal elements, those of an earlier list come first.
    package static func merge<Element>(_ lists: [[Element]], by precedes: (Element, Element) -> Bool) -> [Element] {
        let nonEmpty = lists.filter { !$0.isEmpty }
        if nonEmpty.count <= 1 { return nonEmpty.first ?? [] }
        var merged: [Element] = []
        merged.reserveCapacity(nonEmpty.reduce(0) { $0 + $1.count })
        var next = [Int](repeating: 0, count: nonEmpty.count)
        // Few lists (one per thread): the smallest head is found by looking at each.
        while true {
            var best = -1
            for list in nonEmpty.indices where next[list] < nonEmpty[list].count {
                if best < 0 || precedes(nonEmpty[list][next[list]], nonEmpty[best][next[best]]) { best = list }
            }
            if best < 0 { break }
            merged.append(nonEmpty[best][next[best]])
            next[best] += 1
        }
        return merged
    }
}
