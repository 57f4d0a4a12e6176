import ArgumentParser

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text
  case json
  case dot
  case mermaid
  case modulesLoad = "modules-load"
}

extension KernelVersionArgument: ExpressibleByArgument {}
