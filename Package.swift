// swift-tools-version: 6.1
// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import PackageDescription

let package = Package(
  name: "iommu-plan",
  products: [
    .executable(name: "iommu-plan", targets: ["iommu-plan"]),
    .library(name: "IOMMUPlan", targets: ["IOMMUPlan"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0")
  ],
  targets: [
    // Debian's libfdt-dev ships no pkg-config file, so the module map links
    // `fdt` itself; the shim only wraps macros Swift cannot import.
    .systemLibrary(name: "CLibFDT"),

    // The only module that sees C: blob -> Swift values, and the OF core's
    // phandle iterator on top of them.
    .target(name: "DeviceTree", dependencies: ["CLibFDT"]),

    // Pure Swift: bindings, driver table, inventory, checks, planner, lint and
    // diff, handing one immutable report model forward.
    .target(name: "IOMMUPlan", dependencies: ["DeviceTree"]),

    // Text, JSON, SARIF, GitHub, DOT, Mermaid, modules-load and explain: each
    // formats the model; this target sees only IOMMUPlan's public API, so no
    // renderer can reach back into analysis.
    .target(name: "Renderers", dependencies: ["IOMMUPlan", "DeviceTree"]),

    // A thin command-line adapter.
    .executableTarget(
      name: "iommu-plan",
      dependencies: [
        "IOMMUPlan",
        "Renderers",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),

    .target(name: "TestSupport", dependencies: ["DeviceTree"], path: "Tests/TestSupport"),
    .testTarget(
      name: "DeviceTreeTests",
      dependencies: ["DeviceTree", "TestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "IOMMUPlanTests",
      dependencies: ["IOMMUPlan", "Renderers", "DeviceTree", "TestSupport"],
      exclude: ["Fixtures", "Golden"]
    ),
    .testTarget(
      name: "CLITests",
      dependencies: ["iommu-plan", "TestSupport"]
    ),
  ],
  swiftLanguageModes: [.v6]
)
