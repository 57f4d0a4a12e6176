// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
import ArgumentParser

/// `report --format`.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text
  case json
  case dot
  case mermaid
  case modulesLoad = "modules-load"
}

/// `explain` and `diff --format`.
enum DataFormat: String, ExpressibleByArgument, CaseIterable {
  case text
  case json
}
