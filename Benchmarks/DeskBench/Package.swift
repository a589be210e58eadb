// swift-tools-version:6.1
// The desk benchmark: a separate package so that the product's build and CI never build it.
// Run it with `bash Benchmarks/desk-overhead.sh` from the project folder.

import PackageDescription

let package = Package(
    name: "DeskBench",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "TradingDesk", path: "../..")],
    targets: [
        .executableTarget(name: "desk-bench", dependencies: [
            .product(name: "Desk", package: "TradingDesk"),
            .product(name: "DeskTesting", package: "TradingDesk"),
            .product(name: "Journal", package: "TradingDesk"),
            .product(name: "Market", package: "TradingDesk"),
        ]),
    ]
)
