import Desk
import Foundation
import Market

/// The replay's progress on a terminal: one line rewritten after every step, with a bar, the
/// simulated date, equity and, for agent desks, model calls, throughput and failures. Silent
/// when stderr is not a terminal (``Terminal/status(_:)``).
enum ProgressBar {
    static func reporter(_ name: String, showsModel: Bool, width: Int = 24) -> @Sendable (ReplayProgress) -> Void {
        let start = ContinuousClock.now
        return { p in
            let fraction = Double(p.stepIndex + 1) / Double(max(1, p.stepCount))
            let filled = min(width, Int(fraction * Double(width)))
            let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
            var line = "\(name) \(bar) \(p.day.iso) \(p.stepIndex + 1)/\(p.stepCount)  equity \(Format.money(p.equity))"
            if showsModel {
                let elapsed = ContinuousClock.now - start
                let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
                let rate = seconds > 0 ? Double(p.completionTokens) / seconds : 0
                line += String(format: "  %d calls  %.1f tok/s", p.modelCalls, rate)
                if p.failures > 0 { line += "  \(p.failures) failures" }
            }
            Terminal.status(line)
        }
    }
}
