import DeviceTree

/// Orders modules so that every module's suppliers (fw_devlink), symbol
/// dependencies (`modules.dep`) and `pre:` softdeps load before it: Kahn's
/// algorithm with an alphabetical ready set, so the order is deterministic.
struct ModuleOrder {
  private(set) var needs: [String: Set<String>] = [:]
  private(set) var provides: [String: Set<String>] = [:]
  let build: KernelBuild

  init(build: KernelBuild) { self.build = build }

  /// Adds a module and everything it depends on (transitively).
  mutating func add(
    _ module: String, needing suppliers: [String] = [], provides iommu: String? = nil
  ) {
    needs[module, default: []].formUnion(suppliers.filter { $0 != module })
    if let iommu { provides[module, default: []].insert(iommu) }
    var queue = [module] + suppliers
    while let next = queue.popLast() {
      if needs[next] == nil { needs[next] = [] }
      for dependency in build.modules?.dependencies[next] ?? []
      where isLoadable(dependency) && !(needs[next]?.contains(dependency) ?? false) {
        needs[next, default: []].insert(dependency)
        queue.append(dependency)
      }
    }
  }

  /// Built-in modules need no loading.
  private func isLoadable(_ module: String) -> Bool {
    !(build.modules?.builtin.contains(module) ?? false)
  }

  /// The order, restricted to `subset` (and what it needs) when given.
  func ordered(subset: Set<String>? = nil) -> [Plan.ModuleLoad] {
    var wanted = subset ?? Set(needs.keys)
    var queue = Array(wanted)
    while let next = queue.popLast() {
      for dependency in needs[next] ?? [] where wanted.insert(dependency).inserted {
        queue.append(dependency)
      }
    }
    var remaining = wanted
    var result: [Plan.ModuleLoad] = []
    while !remaining.isEmpty {
      let ready = remaining.filter { (needs[$0] ?? []).isDisjoint(with: remaining) }.sorted()
      // A dependency cycle among modules: modprobe breaks it arbitrarily;
      // take the alphabetically first so the output stays deterministic.
      let batch = ready.isEmpty ? [remaining.sorted()[0]] : ready
      for module in batch {
        remaining.remove(module)
        result.append(
          Plan.ModuleLoad(
            module: module, path: build.modules?.paths[module],
            provides: (provides[module] ?? []).sorted(),
            needs: (needs[module] ?? []).intersection(wanted).sorted()))
      }
    }
    return result
  }
}
