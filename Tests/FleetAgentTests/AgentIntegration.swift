import FleetTestSupport
import Testing

/// Integration tests run as root against real guests. They run one at a
/// time: the cpu and memory tests measure the machine, and parallel guests
/// would skew them.
@Suite(.serialized, .tags(.root)) struct AgentIntegration {}
