import FleetSystem
import FleetTestSupport
import Testing

@Suite(.tags(.unit)) struct LineBufferTests {
    @Test func linesSplitAcrossChunksComeOutWhole() {
        var b = LineBuffer()
        b.append(Array("ab".utf8))
        #expect(b.takeLine() == nil)
        b.append(Array("c\nde\n\nf".utf8))
        #expect(b.takeLine() == Array("abc".utf8))
        #expect(b.takeLine() == Array("de".utf8))
        #expect(b.takeLine() == [])
        #expect(b.takeLine() == nil)
        #expect(b.takeAll() == Array("f".utf8))
        #expect(b.isEmpty)
    }

    @Test func aLongLineAfterManyShortOnesKeepsItsBytes() {
        var b = LineBuffer()
        for i in 0..<20_000 { b.append(Array("line \(i)\n".utf8)) }
        let long = [UInt8](repeating: 0x41, count: 200_000)
        b.append(long)
        for i in 0..<20_000 { #expect(b.takeLine() == Array("line \(i)".utf8)) }
        #expect(b.takeLine() == nil)
        b.append([0x0A])
        #expect(b.takeLine() == long)
    }
}
