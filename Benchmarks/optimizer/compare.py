"""Benchmark problems for the optimiser, and cvxpy (OSQP, Clarabel) solving the same ones.

    compare.py generate problems.json          write the problems (fixed seeds)
    compare.py compare problems.json ipopt.json time cvxpy on them and print a markdown table of ratios

Problems: a 5-factor covariance (annualised, dense) and expected returns per size, long-only, fully
invested, each weight at most max(0.1, 2/n); objectives min-variance, max-Sharpe (rf 0.02), utility
(risk aversion 1) and efficient-risk (volatility target 1.2 × the minimum). cvxpy's time is the wall
time of Problem.solve() on a freshly built problem (what a PyPortfolioOpt call pays), median of repeats.
"""
import json
import platform
import statistics
import sys
import time

import numpy as np

SIZES = [20, 100, 500]
REPEATS = {"20": 30, "100": 10, "500": 3}


def market(n, seed):
    rng = np.random.default_rng(seed)
    loadings = rng.normal(0, 0.12, size=(n, 5))
    specific = rng.uniform(0.15, 0.4, size=n) ** 2
    sigma = loadings @ loadings.T + np.diag(specific)
    mu = rng.uniform(0.0, 0.25, size=n)
    return mu, sigma


def generate(path):
    problems = []
    for n in SIZES:
        mu, sigma = market(n, 1000 + n)
        cap = max(0.1, 2.0 / n)
        base = {"mu": mu.tolist(), "sigma": sigma.tolist(), "maxWeight": cap, "riskFreeRate": 0.02}
        problems.append({**base, "name": f"min-variance {n}", "objective": {"kind": "min-variance"}})
        problems.append({**base, "name": f"max-sharpe {n}", "objective": {"kind": "max-sharpe"}})
        problems.append({**base, "name": f"utility {n}", "objective": {"kind": "utility", "riskAversion": 1}})
        w = solve_cvxpy(base, {"kind": "min-variance"}, "CLARABEL")
        target = 1.2 * float(np.sqrt(w @ sigma @ w))
        problems.append({**base, "name": f"efficient-risk {n}", "objective": {"kind": "efficient-risk", "target": target}})
    with open(path, "w") as f:
        json.dump({"repeats": REPEATS, "problems": problems}, f)


def solve_cvxpy(problem, objective, solver):
    import cvxpy as cp

    mu = np.array(problem["mu"])
    sigma = cp.psd_wrap(np.array(problem["sigma"]))
    n = len(mu)
    rf = problem["riskFreeRate"]
    cap = problem["maxWeight"]
    kind = objective["kind"]
    w = cp.Variable(n)
    if kind == "max-sharpe":
        k = cp.Variable()
        constraints = [(mu - rf) @ w == 1, cp.sum(w) == k, k >= 0, w >= 0, w <= cap * k]
        prob = cp.Problem(cp.Minimize(cp.quad_form(w, sigma)), constraints)
        prob.solve(solver=solver)
        return w.value / k.value
    constraints = [cp.sum(w) == 1, w >= 0, w <= cap]
    if kind == "min-variance":
        prob = cp.Problem(cp.Minimize(cp.quad_form(w, sigma)), constraints)
    elif kind == "utility":
        prob = cp.Problem(cp.Maximize(mu @ w - 0.5 * objective["riskAversion"] * cp.quad_form(w, sigma)), constraints)
    elif kind == "efficient-risk":
        constraints.append(cp.quad_form(w, sigma) <= objective["target"] ** 2)
        prob = cp.Problem(cp.Maximize(mu @ w), constraints)
    prob.solve(solver=solver)
    return w.value


def timed(problem, solver, repeats):
    """Median wall and CPU seconds of a fresh cvxpy solve, after one warm-up."""
    wall, cpu = [], []
    weights = solve_cvxpy(problem, problem["objective"], solver)
    for _ in range(repeats):
        start, start_cpu = time.perf_counter(), time.process_time()
        weights = solve_cvxpy(problem, problem["objective"], solver)
        cpu.append(time.process_time() - start_cpu)
        wall.append(time.perf_counter() - start)
    return statistics.median(wall), statistics.median(cpu), weights


def compare(problems_path, ipopt_path):
    import cvxpy

    with open(problems_path) as f:
        data = json.load(f)
    with open(ipopt_path) as f:
        ipopt = {row["name"]: row for row in json.load(f)}
    print(f"cvxpy {cvxpy.__version__}, numpy {np.__version__}, Python {platform.python_version()}; medians of "
          + ", ".join(f"{v} runs at n={k}" for k, v in data["repeats"].items()))
    print()
    print("CPU ms per solve (process CPU time, steadier than wall time on a shared machine); ratio = ours / reference, below 1 means ours is faster.")
    print()
    print("| problem | assets | ours (Ipopt) CPU ms | iterations | cvxpy+OSQP CPU ms | ratio vs OSQP | cvxpy+Clarabel CPU ms | ratio vs Clarabel | ours wall ms | Clarabel wall ms | max weight diff vs Clarabel |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for problem in data["problems"]:
        n = len(problem["mu"])
        repeats = data["repeats"][str(n)]
        ours = ipopt[problem["name"]]
        ours_cpu = ours["medianCPUSeconds"]
        clarabel_wall, clarabel_cpu, clarabel_w = timed(problem, "CLARABEL", repeats)
        if problem["objective"]["kind"] == "efficient-risk":
            osqp_cell, osqp_ratio = "n/a (quadratic constraint)", "—"
        else:
            _, osqp_cpu, _ = timed(problem, "OSQP", repeats)
            osqp_cell, osqp_ratio = f"{osqp_cpu * 1000:.1f}", f"{ours_cpu / osqp_cpu:.2f}"
        diff = float(np.max(np.abs(np.array(ours["weights"]) - clarabel_w)))
        print(f"| {problem['name'].rsplit(' ', 1)[0]} | {n} | {ours_cpu * 1000:.1f} | {ours['iterations']} | {osqp_cell} | {osqp_ratio} | "
              f"{clarabel_cpu * 1000:.1f} | {ours_cpu / clarabel_cpu:.2f} | {ours['medianSeconds'] * 1000:.1f} | {clarabel_wall * 1000:.1f} | {diff:.1e} |")


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2])
    else:
        compare(sys.argv[2], sys.argv[3])
