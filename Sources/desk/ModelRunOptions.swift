import ArgumentParser
import Desk
import JournalRecords
import LanguageModel

/// How a replay's agents may use their models: the journal's call cache, limits on what the run
/// spends, and how long one call may take.
struct ModelRunOptions: ParsableArguments {
    @Option(help: ArgumentHelp("The journal's call cache: reuse (serve a call already made from the journal), refresh (call again and store) or off.",
                               valueName: "mode"))
    var cache: CallCacheMode = .reuse

    @Option(help: ArgumentHelp("Stop the run (resumably) before the model call that would exceed this many calls.", valueName: "n"))
    var maxCalls: Int?

    @Option(help: ArgumentHelp("Stop the run (resumably) once its calls have used this many tokens, prompt and completion.", valueName: "n"))
    var maxTokens: Int?

    @Option(help: ArgumentHelp("Stop the run (resumably) once its calls have generated this many tokens.", valueName: "n"))
    var maxCompletionTokens: Int?

    @Option(help: ArgumentHelp("Stop the run (resumably) after this long, e.g. 90s or 10m.", valueName: "duration"))
    var maxWallTime: String?

    @Option(help: ArgumentHelp("Abandon a model call after this long (a journalled timeout; the role's fallback applies). Default: the desk file's call_timeout, else 120s.",
                               valueName: "duration"))
    var callTimeout: String?

    func validate() throws {
        for (name, value) in [("--max-calls", maxCalls), ("--max-tokens", maxTokens), ("--max-completion-tokens", maxCompletionTokens)] {
            if let value, value <= 0 { throw ValidationError("\(name) must be a positive number, not \(value)") }
        }
    }

    /// The limits the flags set (nil where a flag is absent).
    func budgetFlags() throws -> RunBudget {
        RunBudget(maxCalls: maxCalls, maxTokens: maxTokens, maxCompletionTokens: maxCompletionTokens,
                  maxWallTime: try maxWallTime.map { try DurationParser.parse($0, option: "--max-wall-time") })
    }

    /// The run's budget: the desk file's, with the flags' limits over it.
    func budget(for policy: any DeskPolicy) throws -> RunBudget {
        ((policy as? AgentDesk)?.definition.budget ?? RunBudget()).overridden(by: try budgetFlags())
    }

    func timeout() throws -> Duration? { try callTimeout.map { try DurationParser.parse($0, option: "--call-timeout") } }
}

extension CallCacheMode: ExpressibleByArgument {}
