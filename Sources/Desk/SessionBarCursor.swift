import Market

/// The bars of each session, found by walking every series forward as the sessions advance.
///
/// A replay asks for sessions in increasing order, so each series is read once from start to end
/// instead of being searched at every session. Asking for an earlier session (a resumed or
/// restarted run) re-seeks with a binary search, so any order of calls gives the right bars.
struct SessionBarCursor: Sendable {
    /// The series in symbol order.
    private let series: [BarSeries]
    private let index: [String: Int]
    /// For each series, the index of the first bar not before the last session asked for.
    private var positions: [Int]
    private var lastDay: Day?
    /// The last answer, whose storage the next one reuses (once the caller has let go of it).
    private var today: [String: Bar] = [:]

    init(_ series: [String: BarSeries]) {
        self.series = series.keys.sorted().map { series[$0]! }
        self.index = Dictionary(uniqueKeysWithValues: self.series.enumerated().map { ($1.symbol, $0) })
        self.positions = Array(repeating: 0, count: self.series.count)
    }

    /// The latest bar on or before the last session asked for, of each of `symbols` that has one (in
    /// the order given): what a point-in-time feed at that session's close shows as latest.
    func latestBars(of symbols: [String]) -> [(String, Bar)] {
        guard let lastDay else { return [] }
        var result: [(String, Bar)] = []
        result.reserveCapacity(symbols.count)
        // Walking the symbol-ordered series in step avoids a lookup per symbol when `symbols` is sorted and complete.
        let aligned = symbols.count == series.count && zip(symbols, series).allSatisfy { $0 == $1.symbol }
        for (n, symbol) in symbols.enumerated() {
            guard let i = aligned ? n : index[symbol] else { continue }
            let bars = series[i].bars
            var p = positions[i]
            if p < bars.count, bars[p].day == lastDay { p += 1 }
            if p > 0 { result.append((symbol, bars[p - 1])) }
        }
        return result
    }

    /// Symbol → bar of every series that has a bar dated `day`.
    mutating func bars(on day: Day) -> [String: Bar] {
        if let lastDay, day < lastDay {
            for i in series.indices { positions[i] = series[i].lastIndex(onOrBefore: day.advanced(by: -1)).map { $0 + 1 } ?? 0 }
        }
        lastDay = day
        today.removeAll(keepingCapacity: true)
        for i in series.indices {
            let bars = series[i].bars
            var p = positions[i]
            while p < bars.count, bars[p].day < day { p += 1 }
            positions[i] = p
            if p < bars.count, bars[p].day == day { today[series[i].symbol] = bars[p] }
        }
        return today
    }
}
