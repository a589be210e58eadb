import ArgumentParser
import Foundation
import InputFiles
import Optimizer

/// `desk optimize`: portfolio weights from a wide CSV of prices, on Ipopt.
struct OptimizeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "optimize",
        abstract: "Optimise portfolio weights from a CSV of daily prices.",
        discussion: """
        The CSV is wide: a date column first (ISO dates, oldest first), then one column of prices per \
        symbol; leave a cell blank where a symbol has no price (before its listing). Returns are simple \
        daily returns; expected returns are mean historical (compounded, 252 days a year); the \
        covariance is annualised (× 252). Cash, when allowed, earns the risk-free rate.
        """)

    @Option(help: ArgumentHelp("The CSV of prices.", valueName: "file.csv"))
    var prices: String

    @Option(help: ArgumentHelp("What to optimise: \(PortfolioObjective.names.joined(separator: ", ")).", valueName: "name"))
    var objective: String

    @Option(name: .customLong("risk-free"), help: ArgumentHelp("Annual risk-free rate.", valueName: "rate"))
    var riskFree: Double = 0.02

    @Option(help: ArgumentHelp("Risk aversion δ of the utility objective.", valueName: "δ"))
    var riskAversion: Double = 1

    @Option(help: ArgumentHelp("Target annual return (efficient-return) or volatility (efficient-risk).", valueName: "x"))
    var target: Double?

    @Option(help: ArgumentHelp("Lower bound of every weight; negative allows shorting.", valueName: "w"))
    var minWeight: Double = 0

    @Option(help: ArgumentHelp("Upper bound of every weight.", valueName: "w"))
    var maxWeight: Double = 1

    @Option(help: ArgumentHelp("Cash allowed, as a fraction of the portfolio (0: fully invested).", valueName: "c"))
    var maxCash: Double = 0

    @Option(help: ArgumentHelp("Covariance estimator: sample, ledoit-wolf, ewma.", valueName: "name"))
    var estimator: String = "sample"

    @Option(help: ArgumentHelp("Span of the ewma estimator, in days.", valueName: "days"))
    var span: Double = 180

    @Option(help: ArgumentHelp("Ledoit–Wolf shrinkage target: constant-variance or constant-correlation.", valueName: "target"))
    var shrinkageTarget: String = ShrinkageTarget.constantVariance.rawValue

    @Option(help: ArgumentHelp("Penalty γ‖w‖² towards diversification.", valueName: "γ"))
    var l2: Double = 0

    @Option(help: ArgumentHelp("Use only these symbols (comma-separated).", valueName: "A,B,…"))
    var symbols: String?

    @Option(help: ArgumentHelp("First date of the window (inclusive).", valueName: "yyyy-mm-dd"))
    var from: String?

    @Option(help: ArgumentHelp("Last date of the window (inclusive).", valueName: "yyyy-mm-dd"))
    var to: String?

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        try await reportingErrors {
            let request = try makeRequest()
            let result = try OptimizerTool().run(request)
            if json {
                print(String(decoding: OptimizerTool.encode(result, pretty: true), as: UTF8.self))
            } else {
                print(OptimizeReport(request: request, result: result).text)
            }
        }
    }

    func makeRequest() throws -> OptimizerRequest {
        guard PortfolioObjective.names.contains(objective) else {
            throw InputError(file: "--objective", field: "objective", problem: "unknown objective '\(objective)'",
                             remedy: "use one of \(PortfolioObjective.names.joined(separator: ", "))")
        }
        let chosen: PortfolioObjective
        switch objective {
        case "min-variance": chosen = .minimumVariance
        case "max-sharpe": chosen = .maximumSharpe
        case "utility": chosen = .utility(riskAversion: riskAversion)
        case "risk-parity": chosen = .riskParity(budgets: nil)
        default:
            guard let target else {
                throw InputError(file: "--target", field: "target", problem: "\(objective) needs --target",
                                 remedy: objective == "efficient-return" ? "give the annual return to reach, e.g. --target 0.2" : "give the annual volatility allowed, e.g. --target 0.15")
            }
            chosen = objective == "efficient-return" ? .efficientReturn(targetReturn: target) : .efficientRisk(targetVolatility: target)
        }
        let covariance: CovarianceEstimator
        switch estimator {
        case "sample": covariance = .sample
        case "ledoit-wolf":
            guard let shrinkTo = ShrinkageTarget(rawValue: shrinkageTarget) else {
                throw InputError(file: "--shrinkage-target", field: "shrinkage-target", problem: "unknown target '\(shrinkageTarget)'",
                                 remedy: "use \(ShrinkageTarget.allCases.map(\.rawValue).joined(separator: " or "))")
            }
            covariance = .ledoitWolf(target: shrinkTo)
        case "ewma": covariance = .exponentiallyWeighted(span: span)
        default:
            throw InputError(file: "--estimator", field: "estimator", problem: "unknown estimator '\(estimator)'", remedy: "use sample, ledoit-wolf or ewma")
        }
        let wanted = symbols.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let window = try PriceFile.read(path: prices, symbols: wanted, from: from, to: to)
        var constraints = ConstraintSpec()
        constraints.minWeight = minWeight
        constraints.maxWeight = maxWeight
        constraints.maxCash = maxCash
        constraints.l2Penalty = l2
        return OptimizerRequest(symbols: window.symbols, prices: window.rows, dates: window.dates, objective: chosen,
                                riskFreeRate: riskFree, estimator: covariance, constraints: constraints)
    }
}

/// A wide CSV of prices: a date column, then one column per symbol, blanks where there is no price.
struct PriceFile {
    var symbols: [String]
    var dates: [String]
    var rows: [[Double?]]

    static func read(path: String, symbols wanted: [String]? = nil, from: String? = nil, to: String? = nil) throws -> PriceFile {
        let table = try CSVTable.read(path: path)
        guard table.header.count >= 2 else {
            throw InputError(file: path, line: table.headerLine, problem: "the header has \(table.header.count) column\(table.header.count == 1 ? "" : "s")",
                             remedy: "the first column is the date, then one column of prices per symbol")
        }
        var columnOf: [String: Int] = [:]
        for (column, name) in table.header.enumerated().dropFirst() {
            guard !name.isEmpty else {
                throw InputError(file: path, line: table.headerLine, column: column + 1, problem: "column \(column + 1) has no symbol in the header",
                                 remedy: "name every price column")
            }
            guard columnOf[name] == nil else {
                throw InputError(file: path, line: table.headerLine, column: column + 1, field: name, problem: "the symbol \(name) has two columns",
                                 remedy: "keep one column per symbol")
            }
            columnOf[name] = column
        }
        let symbols = wanted ?? Array(table.header.dropFirst())
        var columns: [Int] = []
        for symbol in symbols {
            guard let column = columnOf[symbol] else {
                throw InputError(file: path, line: table.headerLine, field: symbol, problem: "no column for \(symbol)",
                                 remedy: "the header has \(table.header.dropFirst().joined(separator: ", "))")
            }
            columns.append(column)
        }
        var dates: [String] = []
        var rows: [[Double?]] = []
        var previous: (date: String, line: Int)?
        for row in table.rows {
            let date = try table.field(row, 0)
            guard !date.isEmpty else {
                throw InputError(file: path, line: row.line, column: 1, field: table.header[0], problem: "the date is missing", remedy: "give every row a date")
            }
            if let previous, date <= previous.date {
                throw InputError(file: path, line: row.line, column: 1, field: table.header[0],
                                 problem: "\(date) does not come after \(previous.date) on line \(previous.line)",
                                 remedy: "sort the rows by date, oldest first, one row per date")
            }
            previous = (date, row.line)
            if let from, date < from { continue }
            if let to, date > to { continue }
            var prices: [Double?] = []
            for column in columns {
                let text = try table.field(row, column)
                if text.isEmpty {
                    prices.append(nil)
                    continue
                }
                guard let price = Double(text), price.isFinite, price > 0 else {
                    throw InputError(file: path, line: row.line, column: column + 1, field: table.header[column],
                                     problem: "'\(text.prefix(40))' is not a positive price", remedy: "leave the cell blank when there is no price")
                }
                prices.append(price)
            }
            dates.append(date)
            rows.append(prices)
        }
        guard rows.count >= 3 else {
            throw InputError(file: path, problem: "the window has \(rows.count) row\(rows.count == 1 ? "" : "s") of prices",
                             remedy: "give at least 3 dates (more than a year is usual)")
        }
        return PriceFile(symbols: symbols, dates: dates, rows: rows)
    }
}

/// The text table `desk optimize` prints.
struct OptimizeReport {
    var request: OptimizerRequest
    var result: OptimizerResult

    var text: String {
        var lines: [String] = []
        let first = request.dates?.first ?? "", last = request.dates?.last ?? ""
        lines.append("Optimised \(request.symbols.count) assets: \(result.objective.name), \(result.estimator.name) covariance, \(result.periods) daily returns (\(first) … \(last))")
        let width = max(6, request.symbols.map(\.count).max() ?? 6)
        func pad(_ text: String, _ count: Int) -> String { text.padding(toLength: max(count, text.count), withPad: " ", startingAt: 0) }
        func left(_ text: String, _ count: Int) -> String { String(repeating: " ", count: max(0, count - text.count)) + text }
        lines.append("  \(pad("symbol", width))  \(left("weight", 9))  \(left("risk share", 10))  \(left("exp. return", 11))")
        for allocation in result.allocations {
            lines.append("  \(pad(allocation.symbol, width))  \(left(percent(allocation.weight), 9))  \(left(percent(allocation.riskContribution), 10))  \(left(percent(allocation.expectedReturn), 11))")
        }
        if result.cash.magnitude > 5e-7 { lines.append("  \(pad("cash", width))  \(left(percent(result.cash), 9))") }
        lines.append("expected return  \(percent(result.expectedReturn))")
        lines.append("volatility       \(percent(result.volatility))")
        lines.append("Sharpe ratio     \(result.sharpeRatio.map { String(format: "%.3f", $0) } ?? "n/a")   (risk-free \(percent(result.riskFreeRate)))")
        let binding = result.bindingConstraints.filter { !($0.kind == "min-weight" && $0.bound == 0) }.map(\.name)
        if !binding.isEmpty { lines.append("binding          \(binding.joined(separator: ", "))") }
        for note in result.notes { lines.append("note: \(note)") }
        lines.append(String(format: "solved in %.1f ms, ", result.solveSeconds * 1000) + "\(result.iterations) Ipopt iterations (\(result.status.rawValue))")
        return lines.joined(separator: "\n")
    }

    private func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
}
