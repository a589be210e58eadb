import Foundation

/// Solves ``PortfolioProblem``s on Ipopt and describes the optimal portfolio.
///
/// Formulations (n assets, weights w, invested fraction Σw ∈ [a, b], cash 1 − Σw earning r_f):
/// - minimum variance: min wᵀΣw + γ‖w‖²;
/// - utility: min (δ/2) wᵀΣw − (μ − r_f)ᵀw + γ‖w‖² (the return of the cash included);
/// - efficient return: min wᵀΣw + γ‖w‖² s.t. μᵀw + r_f(1 − Σw) ≥ target;
/// - efficient risk: max (μ − r_f)ᵀw − γ‖w‖² s.t. wᵀΣw ≤ target²;
/// - maximum Sharpe: min yᵀΣy + γ‖y‖² s.t. (μ − r_f)ᵀy = 1, every constraint homogenised with a scale
///   k ≥ 0 (lᵢk ≤ yᵢ ≤ uᵢk, a·k ≤ Σy ≤ b·k, group sums ≤ cap·k, Σtᵢ ≤ T·k with tᵢ ≥ |yᵢ − w⁰ᵢk|),
///   then w = y/k. The L2 penalty applies to y, unscaled (as in PyPortfolioOpt). With a cash range
///   the Sharpe ratio does not depend on the invested fraction, so the most invested portfolio of
///   that direction is returned;
/// - risk parity: min ½yᵀΣy − Σ bᵢ ln yᵢ over y > 0, then w = y·b/Σy (Maillard, Roncalli & Teïletche);
///   when that portfolio breaks a constraint, min ½wᵀΣw − κ Σ bᵢ ln wᵢ under the constraints with κ the
///   unconstrained portfolio's variance (constrained risk budgeting: equal contributions where the
///   constraints allow).
/// Turnover Σ|wᵢ − w⁰ᵢ| ≤ T is linearised with auxiliaries tᵢ ≥ ±(wᵢ − w⁰ᵢ), Σtᵢ ≤ T.
public struct PortfolioOptimizer: Sendable {
    public var solver: IpoptSolver
    /// The largest violation of any constraint accepted in a returned portfolio.
    public static let feasibilityTolerance = 1e-8

    public init(solver: IpoptSolver = IpoptSolver()) {
        self.solver = solver
    }

    public func solve(_ problem: PortfolioProblem) throws(OptimizerError) -> PortfolioSolution {
        try Self.validate(problem)
        try Self.checkFeasibility(problem)
        let clock = ContinuousClock()
        let start = clock.now
        var run = Run()
        let weights: [Double]
        let invested = problem.constraints.invested
        if problem.assetCount == 1, invested.lowerBound == invested.upperBound {
            // One asset and a fixed budget leave nothing to choose (and Ipopt no degree of freedom).
            let broken = Self.violations(problem, [invested.upperBound], tolerance: Self.feasibilityTolerance)
            guard broken.isEmpty else {
                throw OptimizerError(kind: .infeasible, message: "the only portfolio of one asset at the budget breaks \(broken.joined(separator: ", "))",
                                     involved: broken, remedy: "loosen the constraints involved or allow cash")
            }
            return Self.describe(problem, weights: [invested.upperBound], run: run, elapsed: clock.now - start)
        }
        switch problem.objective {
        case .minimumVariance:
            var program = Self.weightProgram(problem)
            program.quadraticWeight = 1
            weights = try run.solve(program, with: solver)
        case .utility(let riskAversion):
            var program = Self.weightProgram(problem)
            program.quadraticWeight = riskAversion / 2
            program.linearObjective = problem.expectedReturns.map { $0 - problem.riskFreeRate }
            weights = try run.solve(program, with: solver)
        case .efficientReturn(let target):
            var program = Self.weightProgram(problem)
            program.quadraticWeight = 1
            program.rows.append(LinearRow(name: "target-return", indices: Array(0..<problem.assetCount),
                                          coefficients: problem.expectedReturns.map { $0 - problem.riskFreeRate },
                                          lower: target - problem.riskFreeRate, upper: .infinity))
            weights = try run.solve(program, with: solver)
        case .efficientRisk(let target):
            var program = Self.weightProgram(problem)
            program.linearObjective = problem.expectedReturns.map { $0 - problem.riskFreeRate }
            program.varianceCap = ("target-volatility", target * target)
            weights = try run.solve(program, with: solver)
        case .maximumSharpe:
            weights = try maximumSharpe(problem, run: &run)
        case .riskParity(let budgets):
            weights = try riskParity(problem, budgets: budgets, run: &run)
        }
        let violations = Self.violations(problem, weights, tolerance: Self.feasibilityTolerance)
        guard violations.isEmpty else {
            throw OptimizerError(kind: .numericalTrouble, message: "the solver's portfolio breaks constraints by more than \(Self.feasibilityTolerance)",
                                 involved: violations, remedy: "rescale the problem or loosen nearly contradictory constraints",
                                 iterations: run.iterations)
        }
        return Self.describe(problem, weights: weights, run: run, elapsed: clock.now - start)
    }

    // MARK: Formulations

    /// Bookkeeping over the one or two solves an objective needs.
    struct Run {
        var iterations = 0
        var quality = SolveQuality.optimal
        var notes: [String] = []

        mutating func solve(_ program: PortfolioProgram, with solver: IpoptSolver) throws(OptimizerError) -> [Double] {
            do {
                let solution = try solver.solve(program)
                iterations += solution.iterations
                if solution.quality == .acceptable { quality = .acceptable }
                return Array(solution.x[0..<program.assets])
            } catch {
                var error = error
                error.iterations += iterations
                throw error
            }
        }
    }

    /// The program over w with the bounds, the budget, the groups and the turnover rows; no objective yet.
    static func weightProgram(_ problem: PortfolioProblem, lowerBounds: [Double]? = nil) -> PortfolioProgram {
        let n = problem.assetCount
        let constraints = problem.constraints
        let lower = lowerBounds ?? constraints.lowerBounds
        let start = startingWeights(problem, lower: lower)
        var program = PortfolioProgram(covariance: problem.covariance, names: problem.names.map { "weight \($0)" },
                                       lowerBounds: lower, upperBounds: constraints.upperBounds, start: start)
        program.l2Penalty = constraints.l2Penalty
        program.rows.append(LinearRow(name: "budget", indices: Array(0..<n), coefficients: Array(repeating: 1, count: n),
                                      lower: constraints.invested.lowerBound, upper: constraints.invested.upperBound))
        for group in constraints.groups {
            program.rows.append(LinearRow(name: "group \(group.name)", indices: group.members,
                                          coefficients: Array(repeating: 1, count: group.members.count),
                                          lower: group.minimum ?? -.infinity, upper: group.maximum ?? .infinity))
        }
        if let turnover = constraints.turnover {
            var auxiliaries: [Int] = []
            for i in 0..<n {
                let current = turnover.currentWeights[i]
                let t = program.addVariable(name: "trade \(problem.names[i])", lower: 0, upper: .infinity, start: abs(start[i] - current))
                auxiliaries.append(t)
                program.rows.append(LinearRow(name: "turnover \(problem.names[i]) buy", indices: [i, t], coefficients: [1, -1],
                                              lower: -.infinity, upper: current))
                program.rows.append(LinearRow(name: "turnover \(problem.names[i]) sell", indices: [i, t], coefficients: [1, 1],
                                              lower: current, upper: .infinity))
            }
            program.rows.append(LinearRow(name: "turnover", indices: auxiliaries, coefficients: Array(repeating: 1, count: n),
                                          lower: -.infinity, upper: turnover.limit))
        }
        return program
    }

    /// Equal weights of the invested fraction, moved inside the bounds (or the current weights under a turnover limit).
    static func startingWeights(_ problem: PortfolioProblem, lower: [Double]) -> [Double] {
        let n = problem.assetCount
        if let current = problem.constraints.turnover?.currentWeights { return current }
        let fraction = problem.constraints.invested.upperBound / Double(n)
        return (0..<n).map { min(max(fraction, lower[$0]), problem.constraints.upperBounds[$0]) }
    }

    private func maximumSharpe(_ problem: PortfolioProblem, run: inout Run) throws(OptimizerError) -> [Double] {
        let n = problem.assetCount
        let constraints = problem.constraints
        let excess = problem.expectedReturns.map { $0 - problem.riskFreeRate }
        let longOnly = constraints.lowerBounds.allSatisfy { $0 >= 0 }
        if longOnly, !(0..<n).contains(where: { excess[$0] > 0 && constraints.upperBounds[$0] > 0 }) {
            throw OptimizerError(kind: .infeasible,
                                 message: "no asset that may be held has an expected return above the risk-free rate \(problem.riskFreeRate), so no long-only portfolio has a positive Sharpe ratio",
                                 involved: ["excess-return normalisation"], remedy: "use min-variance, or lower the risk-free rate")
        }
        // Start from the equal-weight portfolio scaled onto the normalisation (μ − r_f)ᵀy = 1, when it has a positive excess return.
        let equal = Self.startingWeights(problem, lower: constraints.lowerBounds)
        let equalExcess = zip(excess, equal).reduce(0) { $0 + $1.0 * $1.1 }
        let startScale = equalExcess > 0 ? 1 / equalExcess : 1
        var program = PortfolioProgram(
            covariance: problem.covariance, names: problem.names.map { "scaled weight \($0)" },
            lowerBounds: constraints.lowerBounds.map { $0 >= 0 ? 0 : -.infinity },
            upperBounds: constraints.upperBounds.map { $0 == 0 ? 0 : .infinity },
            start: equal.map { $0 * startScale })
        program.quadraticWeight = 1
        program.l2Penalty = constraints.l2Penalty
        let k = program.addVariable(name: "scale", lower: 0, upper: .infinity, start: startScale)
        let all = Array(0..<n)
        program.rows.append(LinearRow(name: "excess-return normalisation", indices: all, coefficients: excess, lower: 1, upper: 1))
        let invested = constraints.invested
        if invested.lowerBound == invested.upperBound {
            program.rows.append(LinearRow(name: "budget", indices: all + [k], coefficients: Array(repeating: 1, count: n) + [-invested.upperBound],
                                          lower: 0, upper: 0))
        } else {
            program.rows.append(LinearRow(name: "budget", indices: all + [k], coefficients: Array(repeating: 1, count: n) + [-invested.upperBound],
                                          lower: -.infinity, upper: 0))
            program.rows.append(LinearRow(name: "budget", indices: all + [k], coefficients: Array(repeating: 1, count: n) + [-invested.lowerBound],
                                          lower: 0, upper: .infinity))
        }
        for i in 0..<n {
            let (lower, upper) = (constraints.lowerBounds[i], constraints.upperBounds[i])
            if lower != 0, lower.isFinite {
                program.rows.append(LinearRow(name: "min-weight \(problem.names[i])", indices: [i, k], coefficients: [1, -lower],
                                              lower: 0, upper: .infinity))
            }
            let impliedByBudget = longOnly && upper >= invested.upperBound
            if upper != 0, upper.isFinite, !impliedByBudget {
                program.rows.append(LinearRow(name: "max-weight \(problem.names[i])", indices: [i, k], coefficients: [1, -upper],
                                              lower: -.infinity, upper: 0))
            }
        }
        for group in constraints.groups {
            let ones = Array(repeating: 1.0, count: group.members.count)
            if let maximum = group.maximum {
                program.rows.append(LinearRow(name: "group \(group.name)", indices: group.members + [k], coefficients: ones + [-maximum],
                                              lower: -.infinity, upper: 0))
            }
            if let minimum = group.minimum {
                program.rows.append(LinearRow(name: "group \(group.name)", indices: group.members + [k], coefficients: ones + [-minimum],
                                              lower: 0, upper: .infinity))
            }
        }
        if let turnover = constraints.turnover {
            var auxiliaries: [Int] = []
            for i in 0..<n {
                let current = turnover.currentWeights[i]
                let t = program.addVariable(name: "trade \(problem.names[i])", lower: 0, upper: .infinity,
                                            start: abs(program.startingPoint[i] - current * startScale))
                auxiliaries.append(t)
                program.rows.append(LinearRow(name: "turnover \(problem.names[i]) buy", indices: [i, k, t], coefficients: [1, -current, -1],
                                              lower: -.infinity, upper: 0))
                program.rows.append(LinearRow(name: "turnover \(problem.names[i]) sell", indices: [i, k, t], coefficients: [1, -current, 1],
                                              lower: 0, upper: .infinity))
            }
            program.rows.append(LinearRow(name: "turnover", indices: auxiliaries + [k], coefficients: Array(repeating: 1, count: n) + [-turnover.limit],
                                          lower: -.infinity, upper: 0))
        }

        let solution: SolverSolution
        do {
            solution = try solver.solve(program)
        } catch {
            var error = error
            if error.kind == .infeasible {
                error.message = "no portfolio satisfying the constraints has a positive excess return: " + error.message
            }
            throw error
        }
        run.iterations += solution.iterations
        if solution.quality == .acceptable { run.quality = .acceptable }
        let scale = solution.x[k]
        guard scale > 0, scale.isFinite else {
            throw OptimizerError(kind: .numericalTrouble, message: "the max-Sharpe scale variable ended at \(scale)",
                                 remedy: "bound the weights: without bounds the Sharpe ratio can grow without limit", iterations: run.iterations)
        }
        var weights = (0..<n).map { solution.x[$0] / scale }
        if invested.lowerBound < invested.upperBound {
            weights = Self.mostInvested(problem, direction: weights)
        }
        if invested.lowerBound == invested.upperBound {
            // Σy = b·k holds to the solver's tolerance; divide out the rounding so Σw = b exactly.
            let total = weights.reduce(0, +)
            if total > 0 { weights = weights.map { $0 * invested.upperBound / total } }
        }
        return weights
    }

    /// The largest multiple s ≥ 1 of a feasible `direction` that stays feasible (the Sharpe ratio is scale-free).
    static func mostInvested(_ problem: PortfolioProblem, direction: [Double]) -> [Double] {
        let constraints = problem.constraints
        var limit = Double.infinity
        for (i, d) in direction.enumerated() {
            if d > 0, constraints.upperBounds[i].isFinite { limit = min(limit, constraints.upperBounds[i] / d) }
            if d < 0, constraints.lowerBounds[i].isFinite { limit = min(limit, constraints.lowerBounds[i] / d) }
        }
        let total = direction.reduce(0, +)
        if total > 0 { limit = min(limit, constraints.invested.upperBound / total) }
        for group in constraints.groups {
            let sum = group.members.reduce(0) { $0 + direction[$1] }
            if sum > 0, let maximum = group.maximum { limit = min(limit, maximum / sum) }
            if sum < 0, let minimum = group.minimum { limit = min(limit, minimum / sum) }
        }
        guard limit.isFinite, limit > 1 else { return direction }
        var scale = limit
        if let turnover = constraints.turnover {
            func traded(_ s: Double) -> Double { zip(direction, turnover.currentWeights).reduce(0) { $0 + abs(s * $1.0 - $1.1) } }
            if traded(limit) > turnover.limit {
                var (low, high) = (1.0, limit)
                for _ in 0..<200 where high - low > 1e-15 * high {
                    let middle = (low + high) / 2
                    if traded(middle) <= turnover.limit { low = middle } else { high = middle }
                }
                scale = low
            }
        }
        return direction.map { $0 * scale }
    }

    private func riskParity(_ problem: PortfolioProblem, budgets: [Double]?, run: inout Run) throws(OptimizerError) -> [Double] {
        let n = problem.assetCount
        let constraints = problem.constraints
        if let negative = constraints.lowerBounds.firstIndex(where: { $0 < 0 }) {
            throw OptimizerError(kind: .invalidInput,
                                 message: "risk parity holds only long positions, but the minimum weight of \(problem.names[negative]) is \(constraints.lowerBounds[negative])",
                                 involved: ["min-weight \(problem.names[negative])"], remedy: "use minimum weights of 0 or more")
        }
        let held = (0..<n).filter { constraints.upperBounds[$0] > 0 }
        let budgetOf: [Double] = budgets ?? Array(repeating: 1, count: n)
        let heldBudget = held.reduce(0) { $0 + budgetOf[$1] }
        let normalised = (0..<n).map { held.contains($0) ? budgetOf[$0] / heldBudget : 0 }

        // Phase 1: the unconstrained risk-budgeting portfolio of the assets that may be held.
        var sub = SymmetricMatrix.zero(held.count)
        for (a, i) in held.enumerated() { for (b, j) in held.enumerated() { sub[a, b] = problem.covariance[i, j] } }
        let start = held.map { 1 / problem.covariance[$0, $0].squareRoot() }
        let startScale = 1 / sub.quadraticForm(start).squareRoot()
        var phase1 = PortfolioProgram(covariance: sub, names: held.map { "scaled weight \(problem.names[$0])" },
                                      lowerBounds: Array(repeating: 0, count: held.count),
                                      upperBounds: Array(repeating: .infinity, count: held.count),
                                      start: start.map { $0 * startScale })
        phase1.quadraticWeight = 0.5
        phase1.barrierWeights = held.map { normalised[$0] }
        let y = try run.solve(phase1, with: solver)
        let invested = constraints.invested.upperBound
        let total = y.reduce(0, +)
        var weights = [Double](repeating: 0, count: n)
        for (a, i) in held.enumerated() { weights[i] = y[a] / total * invested }
        let broken = Self.violations(problem, weights, tolerance: 1e-10)
        if broken.isEmpty { return weights }

        // Phase 2: constrained risk budgeting, scaled so that equal contributions solve it when no constraint binds.
        let kappa = problem.covariance.quadraticForm(weights)
        var phase2 = Self.weightProgram(problem)
        phase2.quadraticWeight = 0.5
        phase2.barrierWeights = normalised.map { $0 * kappa }
        phase2.startingPoint.replaceSubrange(0..<n, with: Self.startingWeights(problem, lower: constraints.lowerBounds).map { max($0, 1e-4) })
        for i in 0..<n where !held.contains(i) { phase2.startingPoint[i] = 0 }
        let constrained = try run.solve(phase2, with: solver)
        run.notes.append("risk contributions are unequal: the equal-risk portfolio breaks \(broken.joined(separator: ", "))")
        return constrained
    }

    // MARK: Checks

    static func validate(_ problem: PortfolioProblem) throws(OptimizerError) {
        let n = problem.assetCount
        let c = problem.constraints
        func bad(_ message: String, _ remedy: String) -> OptimizerError { OptimizerError(kind: .invalidInput, message: message, remedy: remedy) }
        try validateSymbols(problem.names)
        guard problem.expectedReturns.count == n, problem.covariance.size == n, c.lowerBounds.count == n, c.upperBounds.count == n else {
            throw bad("the problem's sizes disagree: \(n) names, \(problem.expectedReturns.count) expected returns, a \(problem.covariance.size)×\(problem.covariance.size) covariance, \(c.lowerBounds.count)/\(c.upperBounds.count) bounds",
                      "give one of each per asset")
        }
        for i in 0..<n {
            guard problem.expectedReturns[i].isFinite else { throw bad("the expected return of \(problem.names[i]) is \(problem.expectedReturns[i])", "give finite numbers") }
            guard problem.covariance[i, i] > 0, problem.covariance[i, i].isFinite else {
                throw bad("the variance of \(problem.names[i]) is \(problem.covariance[i, i])", "every asset needs a positive, finite variance")
            }
            for j in 0..<i {
                let (a, b) = (problem.covariance[i, j], problem.covariance[j, i])
                guard a.isFinite, abs(a - b) <= 1e-12 * max(1, abs(a)) else {
                    throw bad("the covariance of \(problem.names[i]) and \(problem.names[j]) is \(a) one way and \(b) the other", "give a symmetric, finite matrix")
                }
            }
            guard !c.lowerBounds[i].isNaN, !c.upperBounds[i].isNaN else { throw bad("a weight bound of \(problem.names[i]) is not a number", "give numbers") }
        }
        guard problem.riskFreeRate.isFinite else { throw bad("the risk-free rate is \(problem.riskFreeRate)", "give a finite rate") }
        guard c.l2Penalty >= 0, c.l2Penalty.isFinite else { throw bad("the L2 penalty is \(c.l2Penalty)", "use 0 or a positive number") }
        guard c.invested.lowerBound.isFinite, c.invested.upperBound.isFinite else { throw bad("the invested range \(c.invested) is not finite", "give finite bounds") }
        for group in c.groups {
            guard !group.members.isEmpty, group.members.allSatisfy({ (0..<n).contains($0) }), Set(group.members).count == group.members.count else {
                throw bad("group \(group.name) has no members, a repeated member or an unknown one", "list each member asset once")
            }
            guard group.minimum.map(\.isFinite) ?? true, group.maximum.map(\.isFinite) ?? true else {
                throw bad("a bound of group \(group.name) is not finite", "give finite bounds")
            }
        }
        if let turnover = c.turnover {
            guard turnover.currentWeights.count == n, turnover.currentWeights.allSatisfy(\.isFinite) else {
                throw bad("the current weights for the turnover limit are not \(n) finite numbers", "give one current weight per asset (0 when not held)")
            }
            guard turnover.limit >= 0, turnover.limit.isFinite else { throw bad("the turnover limit is \(turnover.limit)", "use a limit of 0 or more") }
        }
        switch problem.objective {
        case .utility(let delta):
            guard delta > 0, delta.isFinite else { throw bad("the risk aversion is \(delta)", "use a positive risk aversion (1 is usual)") }
        case .efficientReturn(let target):
            guard target.isFinite else { throw bad("the target return is \(target)", "give a finite annual return") }
        case .efficientRisk(let target):
            guard target > 0, target.isFinite else { throw bad("the target volatility is \(target)", "give a positive annual volatility") }
        case .riskParity(let budgets):
            if let budgets {
                guard budgets.count == n, budgets.allSatisfy({ $0 > 0 && $0.isFinite }) else {
                    throw bad("risk budgets must be \(n) positive numbers", "give one positive budget per asset")
                }
            }
        case .minimumVariance, .maximumSharpe: break
        }
    }

    /// Contradictions visible without solving, reported with the constraints that clash.
    static func checkFeasibility(_ problem: PortfolioProblem) throws(OptimizerError) {
        let c = problem.constraints
        let names = problem.names
        func clash(_ message: String, _ involved: [String]) -> OptimizerError {
            OptimizerError(kind: .infeasible, message: message, involved: involved, remedy: "loosen one of the constraints involved")
        }
        for i in 0..<problem.assetCount where c.lowerBounds[i] > c.upperBounds[i] {
            throw clash("the minimum weight of \(names[i]) (\(c.lowerBounds[i])) is above its maximum (\(c.upperBounds[i]))",
                        ["min-weight \(names[i])", "max-weight \(names[i])"])
        }
        guard c.invested.lowerBound <= c.invested.upperBound else {
            throw clash("the invested range \(c.invested) is empty", ["budget"])
        }
        let lowest = c.lowerBounds.reduce(0, +), highest = c.upperBounds.reduce(0, +)
        if lowest > c.invested.upperBound + 1e-12 {
            throw clash("the minimum weights sum to \(lowest), above the invested fraction's maximum \(c.invested.upperBound)", ["min-weight (all)", "budget"])
        }
        if highest < c.invested.lowerBound - 1e-12 {
            throw clash("the maximum weights sum to \(highest), below the invested fraction's minimum \(c.invested.lowerBound)", ["max-weight (all)", "budget"])
        }
        for group in c.groups {
            let low = group.members.reduce(0) { $0 + c.lowerBounds[$1] }
            let high = group.members.reduce(0) { $0 + c.upperBounds[$1] }
            if let minimum = group.minimum, let maximum = group.maximum, minimum > maximum {
                throw clash("group \(group.name)'s minimum \(minimum) is above its maximum \(maximum)", ["group \(group.name)"])
            }
            if let maximum = group.maximum, low > maximum + 1e-12 {
                throw clash("the minimum weights of group \(group.name) sum to \(low), above its cap \(maximum)", ["group \(group.name)", "min-weight (members)"])
            }
            if let minimum = group.minimum, high < minimum - 1e-12 {
                throw clash("the maximum weights of group \(group.name) sum to \(high), below its floor \(minimum)", ["group \(group.name)", "max-weight (members)"])
            }
        }
        if case .efficientReturn(let target) = problem.objective {
            let best = highestReturn(problem)
            if target > best + 1e-12 {
                throw clash("the target return \(target) is above \(best), the most any portfolio within the weight bounds and budget can expect",
                            ["target-return", "max-weight (all)", "budget"])
            }
        }
        if let turnover = c.turnover {
            let forced = (0..<problem.assetCount).reduce(0.0) { sum, i in
                let w0 = turnover.currentWeights[i]
                return sum + max(0, c.lowerBounds[i] - w0, w0 - c.upperBounds[i])
            }
            if forced > turnover.limit + 1e-12 {
                throw clash("the weight bounds force a turnover of at least \(forced), above the limit \(turnover.limit)", ["turnover", "min-weight/max-weight"])
            }
        }
    }

    /// The highest expected return under the weight bounds and the budget alone (cash earning r_f):
    /// start from the lower bounds, then fill the assets best first.
    static func highestReturn(_ problem: PortfolioProblem) -> Double {
        let c = problem.constraints
        let rf = problem.riskFreeRate
        var weights = c.lowerBounds
        var invested = weights.reduce(0, +)
        for i in problem.expectedReturns.indices.sorted(by: { problem.expectedReturns[$0] > problem.expectedReturns[$1] }) {
            let wanted = problem.expectedReturns[i] > rf ? c.invested.upperBound : c.invested.lowerBound
            guard invested < wanted else { continue }
            let step = min(c.upperBounds[i] - weights[i], wanted - invested)
            if step > 0 {
                weights[i] += step
                invested += step
            }
        }
        return zip(problem.expectedReturns, weights).reduce(0) { $0 + $1.0 * $1.1 } + rf * (1 - invested)
    }

    /// The constraints `weights` breaks by more than `tolerance`, most broken first.
    static func violations(_ problem: PortfolioProblem, _ weights: [Double], tolerance: Double) -> [String] {
        evaluate(problem, weights).filter { $0.excess > tolerance || $0.excess.isNaN }.sorted { $0.excess > $1.excess }.map(\.constraint.name)
    }

    /// Every constraint with how far `weights` is past it (negative: inside, 0: on it).
    static func evaluate(_ problem: PortfolioProblem, _ weights: [Double]) -> [(constraint: BindingConstraint, excess: Double)] {
        let c = problem.constraints
        var result: [(BindingConstraint, Double)] = []
        for (i, w) in weights.enumerated() {
            if c.lowerBounds[i].isFinite { result.append((BindingConstraint(kind: "min-weight", subject: problem.names[i], bound: c.lowerBounds[i]), c.lowerBounds[i] - w)) }
            if c.upperBounds[i].isFinite { result.append((BindingConstraint(kind: "max-weight", subject: problem.names[i], bound: c.upperBounds[i]), w - c.upperBounds[i])) }
        }
        let invested = weights.reduce(0, +)
        if c.invested.lowerBound == c.invested.upperBound {
            result.append((BindingConstraint(kind: "budget", bound: c.invested.upperBound), abs(invested - c.invested.upperBound)))
        } else {
            result.append((BindingConstraint(kind: "budget-min", bound: c.invested.lowerBound), c.invested.lowerBound - invested))
            result.append((BindingConstraint(kind: "budget-max", bound: c.invested.upperBound), invested - c.invested.upperBound))
        }
        for group in c.groups {
            let sum = group.members.reduce(0) { $0 + weights[$1] }
            if let minimum = group.minimum { result.append((BindingConstraint(kind: "group-min", subject: group.name, bound: minimum), minimum - sum)) }
            if let maximum = group.maximum { result.append((BindingConstraint(kind: "group-max", subject: group.name, bound: maximum), sum - maximum)) }
        }
        if let turnover = c.turnover {
            let traded = zip(weights, turnover.currentWeights).reduce(0) { $0 + abs($1.0 - $1.1) }
            result.append((BindingConstraint(kind: "turnover", bound: turnover.limit), traded - turnover.limit))
        }
        switch problem.objective {
        case .efficientReturn(let target):
            let value = zip(problem.expectedReturns, weights).reduce(0) { $0 + $1.0 * $1.1 } + problem.riskFreeRate * (1 - invested)
            result.append((BindingConstraint(kind: "target-return", bound: target), target - value))
        case .efficientRisk(let target):
            let volatility = max(0, problem.covariance.quadraticForm(weights)).squareRoot()
            result.append((BindingConstraint(kind: "target-volatility", bound: target), volatility - target))
        default: break
        }
        return result
    }

    static func describe(_ problem: PortfolioProblem, weights: [Double], run: Run, elapsed: Duration) -> PortfolioSolution {
        let invested = weights.reduce(0, +)
        let cash = 1 - invested
        let sigmaW = problem.covariance.multiply(weights)
        let variance = max(0, zip(weights, sigmaW).reduce(0) { $0 + $1.0 * $1.1 })
        let volatility = variance.squareRoot()
        let expected = zip(problem.expectedReturns, weights).reduce(0) { $0 + $1.0 * $1.1 } + problem.riskFreeRate * cash
        let contributions = variance > 0 ? (0..<weights.count).map { weights[$0] * sigmaW[$0] / variance } : Array(repeating: 0, count: weights.count)
        let binding = evaluate(problem, weights).filter { abs($0.excess) <= 1e-7 * max(1, abs($0.constraint.bound)) }.map(\.constraint)
        return PortfolioSolution(weights: weights, cash: cash, expectedReturn: expected, volatility: volatility,
                                 sharpeRatio: volatility > 0 ? (expected - problem.riskFreeRate) / volatility : nil,
                                 riskContributions: contributions, bindingConstraints: binding, iterations: run.iterations,
                                 solveTime: elapsed, quality: run.quality, notes: run.notes)
    }
}
