// swift-tools-version:6.0
import PackageDescription

/// accord's targets follow the compiler pipeline:
/// AccordSyntax (YAML → located syntax tree; the only module importing Yams)
///   → AccordChecker (names, types, rules) → AccordPlan (the canonical, fingerprinted sync plan),
/// driven by AccordCompiler, whose planner lowers a checked connection into a plan. The runner
/// (AccordRunner) reads plans only: it links AccordPlan, not the compiler. The thin `accord`
/// command exposes both.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "accord",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "accord", targets: ["accord"]),
        .library(name: "AccordCompiler", targets: ["AccordCompiler"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/swhitty/FlyingFox", exact: "0.27.1"),
    ],
    targets: [
        .target(name: "AccordDiagnostics", exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(name: "AccordModel", dependencies: ["AccordDiagnostics"], exclude: ["README.md"], swiftSettings: swiftSettings),
        .target(
            name: "AccordSyntax",
            dependencies: ["AccordDiagnostics", "AccordModel", .product(name: "Yams", package: "Yams")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AccordChecker",
            dependencies: ["AccordDiagnostics", "AccordModel", "AccordSyntax"],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AccordPlan",
            dependencies: ["AccordModel", .product(name: "Crypto", package: "swift-crypto")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AccordStore",
            dependencies: ["AccordModel", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        // libcurl (libcurl4-openssl-dev) for HTTP, through a small C layer: its options are C varargs.
        .target(name: "CCurl", exclude: ["README.md"], linkerSettings: [.linkedLibrary("curl")]),
        .target(
            name: "AccordConnectors",
            dependencies: ["AccordDiagnostics", "AccordModel", "CCurl", .product(name: "Logging", package: "swift-log")],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AccordRunner",
            dependencies: ["AccordModel", "AccordPlan", "AccordStore", "AccordConnectors"],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "AccordCompiler",
            dependencies: ["AccordDiagnostics", "AccordModel", "AccordSyntax", "AccordChecker", "AccordPlan"],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "accord",
            dependencies: ["AccordCompiler", "AccordDiagnostics", "AccordModel", "AccordPlan", "AccordRunner", "AccordStore", .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "accord-benchmark",
            dependencies: ["AccordCompiler", .product(name: "Yams", package: "Yams")],
            path: "Benchmarks/accord-benchmark",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccordSyntaxTests",
            dependencies: ["AccordSyntax", "AccordCompiler"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccordCompilerTests",
            dependencies: ["AccordCompiler"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccordStoreTests",
            dependencies: ["AccordStore", "AccordModel", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "CardDAVTestServers",
            dependencies: ["AccordConnectors"],
            path: "Tests/CardDAVTestServers",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccordConnectorsTests",
            dependencies: [
                "AccordConnectors", "AccordDiagnostics", "AccordModel", "CardDAVTestServers", .product(name: "FlyingFox", package: "FlyingFox"),
                .product(name: "Logging", package: "swift-log"), .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccordRunnerTests",
            dependencies: [
                "AccordRunner", "AccordCompiler", "AccordConnectors", "AccordModel", "AccordStore", "AccordPlan", "CardDAVTestServers",
                .product(name: "FlyingFox", package: "FlyingFox"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "AccordCLITests",
            dependencies: ["AccordCompiler", "AccordConnectors", "CardDAVTestServers"],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
