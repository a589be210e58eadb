import ArgumentParser
import Foundation

/// How a reading command prints: a table or chains for people, JSON or JSON lines for programs.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, jsonl
}

/// ANSI styling, on only when writing to a terminal and the user has not set `NO_COLOR`
/// (https://no-color.org) or `TERM=dumb`.
struct TextStyle {
    var colour: Bool

    static var forStandardOutput: TextStyle {
        let environment = ProcessInfo.processInfo.environment
        let disabled = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        return TextStyle(colour: Terminal.stdoutIsTTY && !disabled && environment["TERM"] != "dumb")
    }

    private func wrap(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func bold(_ text: String) -> String { wrap(text, "1") }
    func dim(_ text: String) -> String { wrap(text, "2") }
    func red(_ text: String) -> String { wrap(text, "31") }
    func green(_ text: String) -> String { wrap(text, "32") }
    func yellow(_ text: String) -> String { wrap(text, "33") }
    func blue(_ text: String) -> String { wrap(text, "34") }
    func magenta(_ text: String) -> String { wrap(text, "35") }
    func cyan(_ text: String) -> String { wrap(text, "36") }
}
