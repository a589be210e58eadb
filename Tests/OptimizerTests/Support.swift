import Foundation
import Optimizer

/// Files the optimiser tests read: the shared reference cases and this target's own fixtures.
enum TestFiles {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let reference = packageRoot.appendingPathComponent("Tests/Reference/optimizer")
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")
    static let stockPrices = reference.appendingPathComponent("stock_prices.csv")

    static func json(_ url: URL) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
    }

    /// PyPortfolioOpt's test prices, read plainly (date column, then one column per symbol, blanks before listing).
    static let prices: PriceHistory = {
        let text = (try? String(contentsOf: stockPrices, encoding: .utf8)) ?? ""
        var lines = text.split(whereSeparator: \.isNewline).map(String.init)
        let header = lines.removeFirst().split(separator: ",", omittingEmptySubsequences: false).map(String.init)
        var dates: [String] = []
        var rows: [[Double?]] = []
        for line in lines {
            let fields = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            dates.append(fields[0])
            rows.append(fields.dropFirst().map { $0.isEmpty ? nil : Double($0) })
        }
        return PriceHistory(symbols: Array(header.dropFirst()), dates: dates, rows: rows)
    }()

    static func window(from start: String) -> PriceHistory {
        let first = prices.dates!.firstIndex { $0 >= start }!
        return PriceHistory(symbols: prices.symbols, dates: Array(prices.dates![first...]), rows: Array(prices.rows[first...]))
    }
}

/// A small deterministic generator (SplitMix64) so random problems are the same on every run.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func normal() -> Double {
        let u = Double.random(in: Double.ulpOfOne..<1, using: &self), v = Double.random(in: 0..<1, using: &self)
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }
}

/// A random, well-conditioned covariance (a few factors plus specific risk) and expected returns.
func randomMarket(assets n: Int, seed: UInt64) -> (names: [String], mu: [Double], sigma: SymmetricMatrix) {
    var random = SeededGenerator(seed: seed)
    let factors = 3
    let loadings = (0..<n).map { _ in (0..<factors).map { _ in random.normal() * 0.12 } }
    let specific = (0..<n).map { _ in pow(Double.random(in: 0.1...0.35, using: &random), 2) }
    var sigma = SymmetricMatrix.zero(n)
    for i in 0..<n {
        for j in i..<n {
            var value = zip(loadings[i], loadings[j]).reduce(0) { $0 + $1.0 * $1.1 }
            if i == j { value += specific[i] }
            sigma.setSymmetric(i, j, value)
        }
    }
    let mu = (0..<n).map { _ in Double.random(in: -0.05...0.25, using: &random) }
    return ((0..<n).map { "A\($0)" }, mu, sigma)
}

func maxDifference(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { max($0, abs($1.0 - $1.1)) }
}
