/// Moves that even out memory use across hosts, in the order to make them.
public struct RebalancePlan: Sendable, Equatable {
    public struct Move: Sendable, Equatable {
        public var guest: String
        public var from: String
        public var to: String
        /// The cluster score after this move.
        public var score: Double

        public init(guest: String, from: String, to: String, score: Double) {
            self.guest = guest
            self.from = from
            self.to = to
            self.score = score
        }
    }

    /// The spread (standard deviation) of allocated memory fractions across
    /// schedulable hosts: 0 is perfectly even.
    public var scoreBefore: Double
    public var scoreAfter: Double
    public var moves: [Move]

    public init(scoreBefore: Double, scoreAfter: Double, moves: [Move]) {
        self.scoreBefore = scoreBefore
        self.scoreAfter = scoreAfter
        self.moves = moves
    }
}
