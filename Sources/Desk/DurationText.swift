/// Durations as people write them in desk files and on the command line: `500ms`, `30s`, `2m`,
/// `1h` (also `us`). One parser, so a desk file's `call_timeout` and `--call-timeout` agree.
public enum DurationText {
    /// The duration `text` names, or nil when it is not a non-negative number with a unit.
    public static func parse(_ text: String) -> Duration? {
        let units: [(String, Double)] = [("ms", 1e-3), ("us", 1e-6), ("s", 1), ("m", 60), ("h", 3600)]
        for (suffix, scale) in units where text.hasSuffix(suffix) {
            if let value = Double(text.dropLast(suffix.count)), value >= 0, value.isFinite { return .milliseconds(Int64(value * scale * 1000)) }
        }
        return nil
    }
}
