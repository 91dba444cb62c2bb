import Gateway
import Testing

@Suite struct GoDurationTests {
    @Test func formatsAsGo() {
        #expect(GoDuration(nanoseconds: 0).description == "0s")
        #expect(GoDuration(nanoseconds: 999).description == "999ns")
        #expect(GoDuration(nanoseconds: 855_257).description == "855.257µs")
        #expect(GoDuration(nanoseconds: 2_283_600).description == "2.2836ms")
        #expect(GoDuration(nanoseconds: 1_200_000).description == "1.2ms")
        #expect(GoDuration(nanoseconds: 1_500_000_000).description == "1.5s")
        #expect(GoDuration(nanoseconds: 90_000_000_000).description == "1m30s")
        #expect(GoDuration(nanoseconds: 3_600_000_000_000).description == "1h0m0s")
        #expect(GoDuration(nanoseconds: 1_000_001).description == "1.000001ms")
    }

    @Test func parsesWhatGoWrites() {
        for text in ["855.257µs", "797.579µs", "2.2836ms", "5.99041ms", "1.96683ms", "1m30s", "1h0m0s", "0s", "12ns"] {
            #expect(GoDuration(parsing: text)?.description == text)
        }
        #expect(GoDuration(parsing: "1.5us")?.nanoseconds == 1_500)
        #expect(GoDuration(parsing: "ms") == nil)
        #expect(GoDuration(parsing: "12") == nil)
        #expect(GoDuration(parsing: "3x") == nil)
    }
}
