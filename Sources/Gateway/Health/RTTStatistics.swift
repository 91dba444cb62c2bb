/// Round-trip times of one remote cluster's probes: last, min, mean, max and the
/// population standard deviation, kept incrementally (Welford) over a window of 1,000
/// samples that then starts again, as Submariner's pinger does.
struct RTTStatistics: Equatable {
    static let window = 1000
    private(set) var count = 0
    private(set) var last: Int64 = 0
    private(set) var min: Int64 = 0
    private(set) var max: Int64 = 0
    private var mean: Double = 0
    private var m2: Double = 0

    mutating func add(_ nanoseconds: Int64) {
        if count >= Self.window { self = RTTStatistics() }
        count += 1
        last = nanoseconds
        if count == 1 { min = nanoseconds; max = nanoseconds } else {
            min = Swift.min(min, nanoseconds)
            max = Swift.max(max, nanoseconds)
        }
        let x = Double(nanoseconds)
        let delta = x - mean
        mean += delta / Double(count)
        m2 += delta * (x - mean)
    }

    var average: Int64 { Int64(mean.rounded()) }
    var standardDeviation: Int64 { count > 0 ? Int64((m2 / Double(count)).squareRoot().rounded()) : 0 }

    /// Nil before the first sample.
    var latency: LatencyRTT? {
        guard count > 0 else { return nil }
        return LatencyRTT(last: GoDuration(nanoseconds: last), min: GoDuration(nanoseconds: min), average: GoDuration(nanoseconds: average),
                          max: GoDuration(nanoseconds: max), stdDev: GoDuration(nanoseconds: standardDeviation))
    }
}
