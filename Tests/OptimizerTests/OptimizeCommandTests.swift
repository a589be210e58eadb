import Foundation
import Testing

/// Runs the built `desk` executable the way a user does.
enum Desk {
    static var executable: URL {
        var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = folder.appendingPathComponent("desk")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            folder.deleteLastPathComponent()
        }
        return Bundle.main.bundleURL.deletingLastPathComponent().appendingPathComponent("desk")
    }

    static func run(_ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = TestFiles.packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}

@Suite(.serialized) struct OptimizeCommandTests {
    @Test func printsTheReferenceMaxSharpePortfolioAsJSON() throws {
        let result = try Desk.run(["optimize", "--prices", "Tests/Reference/optimizer/stock_prices.csv", "--objective", "max-sharpe",
                                   "--risk-free", "0.02", "--json"])
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let allocations = try #require(json["allocations"] as? [[String: Any]])
        let cases = try TestFiles.json(TestFiles.reference.appendingPathComponent("pypfopt_cases.json"))
        let reference = try #require(((cases["cases"] as? [String: Any])?["max_sharpe_rf_0.02_long_only"] as? [String: Any])?["weights"] as? [String: Double])
        #expect(allocations.count == 20)
        for allocation in allocations {
            let symbol = try #require(allocation["symbol"] as? String)
            #expect(abs((allocation["weight"] as? Double ?? .nan) - reference[symbol]!) <= 1e-4, "\(symbol)")
        }
        #expect(abs((json["sharpeRatio"] as? Double ?? 0) - 1.284771412700321) <= 1e-5)
    }

    @Test func printsATableWithoutJSON() throws {
        let result = try Desk.run(["optimize", "--prices", "Tests/Reference/optimizer/stock_prices.csv", "--objective", "efficient-risk",
                                   "--target", "0.2", "--estimator", "ledoit-wolf", "--max-weight", "0.4", "--symbols", "AAPL,MA,PFE,XOM,T"])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("efficient-risk, ledoit-wolf covariance"))
        #expect(result.stdout.contains("volatility       20.00%"))
        #expect(result.stdout.contains("max-weight MA"))
        #expect(result.stdout.contains("  AAPL"))
    }

    @Test func aBadPriceNamesFileLineAndColumn() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("optimize-bad-\(UUID().uuidString).csv")
        try "date,AAA,BBB\n2020-01-01,1,2\n2020-01-02,1.1,abc\n2020-01-03,1.2,2.2\n".write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let result = try Desk.run(["optimize", "--prices", file.path, "--objective", "min-variance"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(file.path):3:3: BBB: 'abc' is not a positive price"), "\(result.stderr)")
    }

    @Test func aMissingTargetIsExplained() throws {
        let result = try Desk.run(["optimize", "--prices", "Tests/Reference/optimizer/stock_prices.csv", "--objective", "efficient-return"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("needs --target"))
    }

    @Test func anInfeasibleTargetFailsWithTheConstraint() throws {
        let result = try Desk.run(["optimize", "--prices", "Tests/Reference/optimizer/stock_prices.csv", "--objective", "efficient-return",
                                   "--target", "0.9"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("infeasible"), "\(result.stderr)")
        #expect(result.stderr.contains("target-return"), "\(result.stderr)")
    }
}
