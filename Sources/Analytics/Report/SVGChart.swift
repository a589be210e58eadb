import Foundation
import Market

/// A line or stacked-area chart over trading days, drawn as inline SVG (no script, no network).
///
/// The x axis is the session index (so weekends and holidays leave no gaps), labelled at month
/// starts; the y axis gets "nice" ticks. Each line is one `<path>` whose `data-points` attribute
/// says how many points it has (the browser check uses it to tell an empty chart).
struct SVGChart {
    struct Series {
        var name: String
        var color: String
        var dashed = false
        /// One value per day of the chart's `days` (`.nan` where the series has none).
        var values: [Double]
    }

    enum Style { case lines, stackedArea }

    var title: String
    var days: [Day]
    var series: [Series]
    var style: Style = .lines
    var format: (Double) -> String
    var width = 960.0
    var height = 300.0
    /// Fixed y range (e.g. 0…1 for weights); computed from the data otherwise.
    var yRange: ClosedRange<Double>?

    private static let left = 64.0, right = 16.0, top = 12.0, bottom = 28.0

    var svg: String {
        guard days.count >= 1, !series.isEmpty else {
            return "<p class=\"empty\">\(HTML.escape(title)): no data.</p>"
        }
        let stacked = style == .stackedArea ? stackedValues() : series.map(\.values)
        let finite = stacked.flatMap { $0 }.filter(\.isFinite)
        var low = yRange?.lowerBound ?? (finite.min() ?? 0)
        var high = yRange?.upperBound ?? (finite.max() ?? 1)
        if style == .stackedArea { low = min(low, 0) }
        if high - low < 1e-12 { low -= 0.5 * max(abs(low), 1e-3); high += 0.5 * max(abs(high), 1e-3) }
        let ticks = SVGChart.niceTicks(low, high)
        low = min(low, ticks.first ?? low)
        high = max(high, ticks.last ?? high)
        let left = Self.left, right = Self.right, top = Self.top, bottom = Self.bottom
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        func x(_ i: Int) -> Double { left + (days.count == 1 ? plotWidth / 2 : Double(i) / Double(days.count - 1) * plotWidth) }
        func y(_ v: Double) -> Double { top + (high - v) / (high - low) * plotHeight }

        var out = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" aria-label=\"\(HTML.escape(title))\" "
            + "xmlns=\"http://www.w3.org/2000/svg\" preserveAspectRatio=\"xMidYMid meet\">"
        out += "<title>\(HTML.escape(title))</title>"
        for tick in ticks {
            out += "<line class=\"grid\" x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(y(tick)))\" y2=\"\(f(y(tick)))\"/>"
            out += "<text class=\"tick\" x=\"\(f(left - 6))\" y=\"\(f(y(tick) + 4))\" text-anchor=\"end\">\(HTML.escape(format(tick)))</text>"
        }
        for (i, day) in monthStarts() {
            out += "<line class=\"grid minor\" x1=\"\(f(x(i)))\" x2=\"\(f(x(i)))\" y1=\"\(f(top))\" y2=\"\(f(height - bottom))\"/>"
            out += "<text class=\"tick\" x=\"\(f(x(i)))\" y=\"\(f(height - bottom + 16))\" text-anchor=\"middle\">\(SVGChart.monthLabel(day))</text>"
        }
        out += "<line class=\"axis\" x1=\"\(f(left))\" x2=\"\(f(width - right))\" y1=\"\(f(height - bottom))\" y2=\"\(f(height - bottom))\"/>"
        if style == .stackedArea {
            var below = [Double](repeating: 0, count: days.count)
            for (s, values) in zip(series, stacked) {
                let upper = values.indices.map { (x($0), y(values[$0].isFinite ? values[$0] : below[$0])) }
                let lower = below.indices.reversed().map { (x($0), y(below[$0])) }
                let points = upper + lower
                out += "<path class=\"area\" data-points=\"\(upper.count)\" fill=\"\(s.color)\" stroke=\"\(s.color)\" d=\"\(SVGChart.path(points, closed: true))\">"
                out += "<title>\(HTML.escape(s.name))</title></path>"
                below = values.map { $0.isFinite ? $0 : 0 }
            }
        } else {
            for s in series {
                // Gaps split a line into pieces.
                var pieces: [[(Double, Double)]] = [[]]
                for (i, v) in s.values.enumerated() {
                    if v.isFinite { pieces[pieces.count - 1].append((x(i), y(v))) } else if !pieces[pieces.count - 1].isEmpty { pieces.append([]) }
                }
                let points = pieces.reduce(0) { $0 + $1.count }
                let d = pieces.filter { !$0.isEmpty }.map { SVGChart.path($0, closed: false) }.joined(separator: " ")
                out += "<path class=\"line\(s.dashed ? " dashed" : "")\" data-points=\"\(points)\" stroke=\"\(s.color)\" d=\"\(d)\">"
                out += "<title>\(HTML.escape(s.name))</title></path>"
            }
        }
        out += "</svg>"
        out += "<div class=\"legend\">" + series.map {
            "<span><i style=\"background:\($0.color)\"\($0.dashed ? " class=\"dashed\"" : "")></i>\(HTML.escape($0.name))</span>"
        }.joined() + "</div>"
        return out
    }

    private func stackedValues() -> [[Double]] {
        var running = [Double](repeating: 0, count: days.count)
        return series.map { s in
            running = zip(running, s.values).map { $0 + ($1.isFinite ? $1 : 0) }
            return running
        }
    }

    /// Indices of the first session of each month (thinned so labels do not collide).
    private func monthStarts() -> [(Int, Day)] {
        var starts: [(Int, Day)] = []
        for (i, day) in days.enumerated() where i == 0 || day.month != days[i - 1].month {
            if i > 0 { starts.append((i, day)) }
        }
        let step = max(1, starts.count / 12 + (starts.count % 12 == 0 ? 0 : 1))
        return starts.enumerated().filter { $0.offset % step == 0 }.map(\.element)
    }

    private func f(_ v: Double) -> String { String(format: "%.1f", v) }

    static func path(_ points: [(Double, Double)], closed: Bool) -> String {
        guard let first = points.first else { return "" }
        var d = String(format: "M%.1f %.1f", first.0, first.1)
        for p in points.dropFirst() { d += String(format: " L%.1f %.1f", p.0, p.1) }
        return closed ? d + " Z" : d
    }

    static func monthLabel(_ day: Day) -> String {
        let names = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        return day.month == 1 ? "\(names[0]) \(day.year)" : names[day.month - 1]
    }

    /// About five round tick values, the first at or below `low` and the last at or above `high`.
    static func niceTicks(_ low: Double, _ high: Double) -> [Double] {
        let span = high - low
        guard span > 0, span.isFinite else { return [low] }
        let raw = span / 5
        let magnitude = pow(10, (log10(raw)).rounded(.down))
        let step = [1.0, 2, 2.5, 5, 10].map { $0 * magnitude }.first { $0 >= raw } ?? 10 * magnitude
        // From the round value at or below `low` to the one at or above `high`, so the data sits inside.
        let first = (low / step + 1e-9).rounded(.down), last = (high / step - 1e-9).rounded(.up)
        return stride(from: first, through: last, by: 1).map { $0 * step }.map { abs($0) < step * 1e-9 ? 0 : $0 }
    }

    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2", "#bcbd22", "#7f7f7f"]
    static let baselinePalette = ["#444444", "#8a8a8a", "#b07d2b"]
}

/// Escaping for text placed in HTML.
enum HTML {
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }
}
