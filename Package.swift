// swift-tools-version:6.1
// TradingDesk: a multi-agent trading desk simulator. Module boundaries follow docs/DESIGN (see README "Layout").

import PackageDescription

#if os(macOS)
var ipoptSystemLibrary: Target {
    .systemLibrary(name: "CIpopt", pkgConfig: "ipopt", providers: [.brew(["ipopt"])])
}
#else
var ipoptSystemLibrary: Target {
    .systemLibrary(name: "CIpopt", providers: [.apt(["coinor-libipopt-dev"])])
}
#endif

let package = Package(
    name: "TradingDesk",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "desk", targets: ["desk"]),
        .library(name: "Market", targets: ["Market"]),
        .library(name: "Exchange", targets: ["Exchange"]),
        .library(name: "Journal", targets: ["Journal"]),
        .library(name: "Desk", targets: ["Desk"]),
        .library(name: "Analytics", targets: ["Analytics"]),
        .library(name: "DeskTesting", targets: ["DeskTesting"]),
        .library(name: "Optimizer", targets: ["Optimizer"]),
        .library(name: "LocalLM", targets: ["LocalLM"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
    ],
    targets: [
        // Reading the user's files: CSV and strict YAML, with errors that name file, line and field.
        .target(name: "InputFiles", dependencies: [.product(name: "Yams", package: "Yams")]),
        // The language-model contract: messages, settings, completions, usage. No engine here.
        .target(name: "LanguageModel", dependencies: [.product(name: "Crypto", package: "swift-crypto")]),
        // The OpenAI-compatible chat-completions client (llama.cpp server, Ollama, vLLM, LM Studio).
        .target(name: "RemoteLM", dependencies: ["LanguageModel"]),
        // Hot loops of the local model in C, optimised in every configuration (debug Swift is too slow for them).
        .target(name: "CKernels", cSettings: [.unsafeFlags(["-O3", "-fno-math-errno", "-Wall"])]),
        // The in-process GGUF engine: reader, tokenizer, chat templates, transformer, sampler, `LocalModel`.
        .target(name: "LocalLM", dependencies: ["LanguageModel", "CKernels", .product(name: "Crypto", package: "swift-crypto")]),
        // Instruments, bars, calendar, news, scenarios, the point-in-time feed, indicators.
        .target(name: "Market", dependencies: ["InputFiles"]),
        // Ipopt's C interface. Debian: link libipopt directly (its pkg-config file asks for -llapack -lblas,
        // whose unversioned links need extra -dev packages); Homebrew: pkg-config supplies the paths.
        ipoptSystemLibrary,
        // Covariance estimation and portfolio problems on Ipopt. Imports nothing of ours.
        .target(name: "Optimizer", dependencies: ["CIpopt"]),
        // The mock order API: orders, fills, costs, the portfolio ledger.
        .target(name: "Exchange", dependencies: ["Market"]),
        // The journal's vocabulary: record types and the `Journaling` protocol the desk writes through.
        .target(name: "JournalRecords", dependencies: [
            "LanguageModel", "Market", "Exchange", .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // The SQLite journal (GRDB): schema, migrations, writer, queries.
        .target(name: "Journal", dependencies: [
            "JournalRecords", "LanguageModel", "Market", "Exchange",
            .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
        ]),
        // Agents, roles, tools, the orchestrator, risk limits. Sees models and the journal only through protocols.
        .target(name: "Desk", dependencies: [
            "LanguageModel", "Market", "Exchange", "JournalRecords", "InputFiles", "Optimizer",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        // Metrics, baselines, comparisons, reports.
        .target(name: "Analytics", dependencies: ["Market", "Exchange", "Journal", "JournalRecords", "InputFiles", "LanguageModel", "Desk"]),
        // Test doubles: in-memory journal, scripted model, fixtures.
        .target(name: "DeskTesting", dependencies: ["LanguageModel", "Desk", "JournalRecords", "Market", "Exchange"]),
        // The command line: wires the concrete journal and models into the desk.
        .executableTarget(name: "desk", dependencies: [
            "InputFiles", "LanguageModel", "Market", "Exchange", "JournalRecords", "Journal", "Desk", "Analytics",
            "Optimizer", "RemoteLM", "LocalLM",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]),

        .testTarget(name: "InputFilesTests", dependencies: ["InputFiles"]),
        .testTarget(name: "MarketTests", dependencies: ["Market", "InputFiles", "DeskTesting"]),
        .testTarget(name: "ExchangeTests", dependencies: ["Exchange", "Market"]),
        .testTarget(name: "JournalTests", dependencies: [
            "Journal", "JournalRecords", "Market", "Exchange", "LanguageModel", "DeskTesting", .product(name: "GRDB", package: "GRDB.swift"),
        ]),
        .testTarget(name: "DeskTests", dependencies: ["Desk", "DeskTesting", "Market", "Exchange", "JournalRecords", "LanguageModel", "InputFiles"]),
        .testTarget(name: "AnalyticsTests", dependencies: ["Analytics", "Journal", "JournalRecords", "DeskTesting", "Market", "Exchange", "Desk", "InputFiles", "LanguageModel"]),
        .testTarget(name: "OptimizerTests", dependencies: ["Optimizer", "DeskTesting", "desk"], exclude: ["Fixtures"]),
        .testTarget(name: "RemoteLMTests", dependencies: ["RemoteLM", "LanguageModel", "DeskTesting"]),
        .testTarget(name: "LocalLMTests", dependencies: ["LocalLM", "CKernels", "LanguageModel", "DeskTesting"], exclude: ["Fixtures"]),
        .testTarget(name: "EndToEndTests", dependencies: ["Journal", "JournalRecords", "Analytics", "LanguageModel", "Market", "DeskTesting", "desk",
                                                          "Desk", "Exchange", "LocalLM"]),
    ]
)

// One set of language settings for every Swift target (Swift 6 mode is the tools-version default).
for target in package.targets where [.executable, .test, .regular].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    target.swiftSettings = settings
}
