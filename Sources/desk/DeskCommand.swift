import ArgumentParser
import Foundation

@main
struct DeskCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "desk",
        abstract: "TradingDesk: replay historical scenarios with a desk of agents, and inspect what they did.",
        version: DeskVersion.current,
        subcommands: [ReplayCommand.self, RunsCommand.self, LogsCommand.self, ExportCommand.self, ImportCommand.self, ScenariosCommand.self,
                      DataCommand.self, RolesCommand.self, ModelCommand.self, OptimizeCommand.self, BenchCommand.self,
                      MetricsCommand.self, CompareCommand.self, ReportCommand.self],
        defaultSubcommand: nil
    )
}

enum DeskVersion {
    static let current = "0.1.0"
}
