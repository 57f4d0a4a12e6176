// SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
/// The table of findings. Raw values are stable: scripts, baselines and SARIF
/// rule ids depend on them, so a code is never renamed or reused.
public enum DiagnosticCode: String, CaseIterable, Sendable {
  case duplicatePhandle = "duplicate_phandle"
  case partialCell = "partial_cell"
  case iommusUnknownPhandle = "iommus_unknown_phandle"
  case iommusMissingCells = "iommus_missing_cells"
  case iommusEntryOverrun = "iommus_entry_overrun"
  case iommusTooManyArgs = "iommus_too_many_args"
  case iommusEntriesAfterEmpty = "iommus_entries_after_empty"
  case iommusUnderPCIHost = "iommus_under_pci_host"
  case iommuDisabled = "iommu_disabled"
  case iommuMapBadLength = "iommu_map_bad_length"
  case iommuMapUnknownPhandle = "iommu_map_unknown_phandle"
  case iommuMapMaskIgnoresRIDBase = "iommu_map_mask_ignores_rid_base"
  case iommuMapOverlap = "iommu_map_overlap"
  case iommuMapZeroLength = "iommu_map_zero_length"
  case iommuMapLayoutDiffers = "iommu_map_layout_differs"
  case iommuMapLegacyQuirk = "iommu_map_legacy_quirk"
  case iommuMapMultiIDRange = "iommu_map_multi_id_range"
  case iommuMapTooManyCells = "iommu_map_too_many_cells"
  case iommuMapBadMask = "iommu_map_bad_mask"
  case iommuCellsUnexpected = "iommu_cells_unexpected"
  case iommuUnknownDriver = "iommu_unknown_driver"
  case mmuMastersUnknownPhandle = "mmu_masters_unknown_phandle"
  case mmuMastersMissingStreamIDCells = "mmu_masters_missing_stream_id_cells"
  case mmuMastersEntryOverrun = "mmu_masters_entry_overrun"
  case mmuMastersWithGenericConsumers = "mmu_masters_with_generic_consumers"
  case mixedSMMUBindings = "mixed_smmu_bindings"
  case masterInTwoSMMUs = "master_in_two_smmus"
  case dependencyCycle = "dependency_cycle"
  case supplierCycle = "supplier_cycle"
  case streamIDConflict = "stream_id_conflict"
  case streamIDShared = "stream_id_shared"
  case legacyBindingRequiresBuiltinSMMU = "legacy_binding_requires_builtin_smmu"
  case bootModuleMissing = "boot_module_missing"
  case bootModuleOrder = "boot_module_order"
  case bootDeviceUnknown = "boot_device_unknown"
  case bootDeviceDisabled = "boot_device_disabled"
  case overlayCheckedAlone = "overlay_checked_alone"

  public var defaultSeverity: Severity {
    switch self {
    case .iommuMapLegacyQuirk, .iommuUnknownDriver, .iommuMapZeroLength, .supplierCycle,
      .streamIDShared, .overlayCheckedAlone:
      .note
    case .duplicatePhandle, .partialCell, .iommusTooManyArgs, .iommusEntriesAfterEmpty,
      .iommusUnderPCIHost, .iommuDisabled, .iommuMapOverlap, .iommuMapLayoutDiffers,
      .iommuMapBadMask, .masterInTwoSMMUs, .streamIDConflict:
      .warning
    case .iommusUnknownPhandle, .iommusMissingCells, .iommusEntryOverrun, .iommuMapBadLength,
      .iommuMapUnknownPhandle, .iommuMapMaskIgnoresRIDBase, .iommuMapMultiIDRange,
      .iommuMapTooManyCells, .iommuCellsUnexpected, .mmuMastersUnknownPhandle,
      .mmuMastersMissingStreamIDCells, .mmuMastersEntryOverrun, .mmuMastersWithGenericConsumers,
      .mixedSMMUBindings, .dependencyCycle, .legacyBindingRequiresBuiltinSMMU, .bootModuleMissing,
      .bootModuleOrder, .bootDeviceUnknown, .bootDeviceDisabled:
      .error
    }
  }

  /// One line for docs/diagnostics.md's table and SARIF's rule descriptions.
  public var summary: String {
    switch self {
    case .duplicatePhandle:
      "two nodes carry one phandle; lookups find the first in pre-order"
    case .partialCell:
      "an IOMMU property's length is not whole cells; the trailing bytes are ignored"
    case .iommusUnknownPhandle:
      "an `iommus` phandle resolves to no node; the kernel stops its walk there"
    case .iommusMissingCells:
      "an `iommus` target has no `#iommu-cells`; the kernel stops its walk there"
    case .iommusEntryOverrun:
      "an `iommus` entry needs more cells than remain; the kernel stops its walk there"
    case .iommusTooManyArgs:
      "an `iommus` entry has more than 16 argument cells; the kernel passes the first 16"
    case .iommusEntriesAfterEmpty:
      "an empty `iommus` entry (phandle 0) ends the walk; the entries after it are ignored"
    case .iommusUnderPCIHost:
      "`iommus` below a PCI host bridge is never read; the root complex's `iommu-map` applies"
    case .iommuDisabled:
      "a reference to a disabled IOMMU: the device gets no IOMMU, and the walk stops there"
    case .iommuMapBadLength:
      "`iommu-map` is not a whole number of entries; the kernel rejects the map"
    case .iommuMapUnknownPhandle:
      "an `iommu-map` phandle resolves to no node"
    case .iommuMapMaskIgnoresRIDBase:
      "a rid-base has bits outside `iommu-map-mask`; lookups reaching it fail (-EFAULT)"
    case .iommuMapOverlap:
      "two `iommu-map` entries cover the same IDs; the first one wins"
    case .iommuMapZeroLength:
      "an `iommu-map` entry of length 0 matches no ID, unless boot firmware fills it in"
    case .iommuMapLayoutDiffers:
      "kernels before 7.2 (4-cell entries) and 7.2 (3 + #iommu-cells) read the map differently"
    case .iommuMapLegacyQuirk:
      "7.2 reads this 4-cell map aimed at a 2-cell IOMMU as legacy 1-cell output"
    case .iommuMapMultiIDRange:
      "7.2 rejects an entry that maps more than one ID to a multi-cell specifier"
    case .iommuMapTooManyCells:
      "7.2 rejects an `iommu-map` target with more than 16 `#iommu-cells`"
    case .iommuMapBadMask:
      "`iommu-map-mask` is not one cell; a short one is ignored (all ones)"
    case .iommuCellsUnexpected:
      "`#iommu-cells` is not a value the matched driver accepts"
    case .iommuUnknownDriver:
      "an IOMMU node matches no upstream IOMMU driver the tool knows"
    case .mmuMastersUnknownPhandle:
      "an `mmu-masters` phandle resolves to no node"
    case .mmuMastersMissingStreamIDCells:
      "an `mmu-masters` master has no `#stream-id-cells`"
    case .mmuMastersEntryOverrun:
      "an `mmu-masters` entry needs more cells than remain"
    case .mmuMastersWithGenericConsumers:
      "an SMMU with `mmu-masters` is also referenced through `iommus` or `iommu-map`"
    case .mixedSMMUBindings:
      "legacy and generic arm-smmu instances: the driver refuses whichever kind probes second"
    case .masterInTwoSMMUs:
      "a master appears in the `mmu-masters` of two SMMUs; the first SMMU bound wins"
    case .dependencyCycle:
      "IOMMU references form a cycle"
    case .supplierCycle:
      "an IOMMU's fw_devlink suppliers form a cycle; fw_devlink relaxes it and orders none of it"
    case .streamIDConflict:
      "two masters use one stream ID where the IOMMU refuses the second (SMMUv3, virtio-iommu, or "
        + "arm-smmu SMRs that partly overlap): the second to probe has none"
    case .streamIDShared:
      "two masters match one stream ID on arm-smmu v1/v2: they share one IOMMU group"
    case .legacyBindingRequiresBuiltinSMMU:
      "legacy `mmu-masters` needs arm-smmu built in with ARM_SMMU_LEGACY_DT_BINDINGS"
    case .bootModuleMissing:
      "a module a boot device needs behind its IOMMU is missing from the module list"
    case .bootDeviceUnknown:
      "a `--boot-device` names no node (by path or label) in this tree"
    case .bootDeviceDisabled:
      "a `--boot-device` is disabled (or below a disabled node): it never probes"
    case .bootModuleOrder:
      "the module list loads a module before one it needs"
    case .overlayCheckedAlone:
      "an overlay checked without its base: references its `__fixups__` resolve are not findings"
    }
  }

  /// How to fix it, in one line: docs/diagnostics.md's last column and SARIF's
  /// rule help. It names the DTS change, since that is where the fix goes.
  public var remedy: String {
    switch self {
    case .duplicatePhandle:
      "remove the hand-written `phandle` that repeats another node's and refer to nodes by label "
        + "(`&label`), so dtc assigns unique phandles"
    case .partialCell:
      "write the property as whole 32-bit cells (`<...>`), without byte strings or trailing bytes"
    case .iommusUnknownPhandle:
      "refer to the IOMMU by label (`<&apps_smmu ...>`), and make sure the DTS or overlay that "
        + "defines it is included"
    case .iommusMissingCells:
      "add the `#iommu-cells` its binding requires to the target, or point the entry at the "
        + "IOMMU node if it names the wrong one"
    case .iommusEntryOverrun:
      "give every entry exactly `#iommu-cells` cells after the phandle, or correct the target's "
        + "`#iommu-cells`"
    case .iommusTooManyArgs:
      "lower the target's `#iommu-cells` to what its driver reads; the kernel never passes more "
        + "than 16 cells"
    case .iommusEntriesAfterEmpty:
      "delete the `<0>` entry (often left by an overlay or a bootloader fix-up) so that the "
        + "entries after it are read"
    case .iommusUnderPCIHost:
      "delete `iommus` from the PCI device and map its requester ID in the host bridge's "
        + "`iommu-map` (with `iommu-map-mask` if needed)"
    case .iommuDisabled:
      "enable the IOMMU (`status = \"okay\"`) in the board DTS, or drop the reference if the "
        + "device is meant to run without one"
    case .iommuMapBadLength:
      "write `iommu-map` as whole `<rid-base &iommu iommu-base length>` entries, with as many "
        + "`iommu-base` cells as the target's `#iommu-cells` (1 before 7.2)"
    case .iommuMapUnknownPhandle:
      "refer to the IOMMU by label (`&smmu`), or delete the entry"
    case .iommuMapMaskIgnoresRIDBase:
      "clear the rid-base bits that `iommu-map-mask` removes, or widen the mask to keep them"
    case .iommuMapOverlap:
      "make the entries' ID ranges disjoint: shrink or delete the entry the earlier one shadows"
    case .iommuMapZeroLength:
      "give the entry its real length, unless the boot firmware is known to fill it in"
    case .iommuMapLayoutDiffers:
      "aim the map at a 1-cell IOMMU so both layouts agree, or ship only 7.2 or newer and lint "
        + "with that `--kernel-version`"
    case .iommuMapLegacyQuirk:
      "nothing to fix while older kernels must read the map; a 7.2-only tree can write "
        + "3 + `#iommu-cells` cells per entry instead"
    case .iommuMapMultiIDRange:
      "split the range into length-1 entries, or give the IOMMU 1-cell specifiers"
    case .iommuMapTooManyCells:
      "lower the target's `#iommu-cells` to the number of cells its driver reads (at most 16)"
    case .iommuMapBadMask:
      "write `iommu-map-mask` as exactly one cell, e.g. `iommu-map-mask = <0xff00>;`"
    case .iommuCellsUnexpected:
      "set `#iommu-cells` to a value the driver's binding accepts (the message lists them)"
    case .iommuUnknownDriver:
      "nothing, if the driver is out of tree; otherwise check `compatible` against the IOMMU "
        + "bindings"
    case .mmuMastersUnknownPhandle:
      "point the entry at an existing master, or better, move to `iommus` in the masters and "
        + "`#iommu-cells` on the SMMU"
    case .mmuMastersMissingStreamIDCells:
      "add `#stream-id-cells` (the number of stream IDs listed for it) to the master, or move "
        + "to `iommus`"
    case .mmuMastersEntryOverrun:
      "list exactly `#stream-id-cells` stream IDs after each master's phandle"
    case .mmuMastersWithGenericConsumers:
      "use one binding per SMMU: move its `mmu-masters` to `iommus` in the masters (with "
        + "`#iommu-cells` on the SMMU), or drop the generic references"
    case .mixedSMMUBindings:
      "convert every arm-smmu to the generic binding (`#iommu-cells` on the SMMU, `iommus` in "
        + "the masters) and delete `mmu-masters`"
    case .masterInTwoSMMUs:
      "list each master in the `mmu-masters` of one SMMU only"
    case .dependencyCycle:
      "break the cycle: an IOMMU must not wait for itself or for a device it translates for "
        + "(leave a PCI IOMMU's own RID out of its root complex's `iommu-map`)"
    case .supplierCycle:
      "nothing to fix in most trees; if the SMMU must wait for one of them, break the cycle so "
        + "fw_devlink can order it"
    case .streamIDConflict:
      "give each master its own stream ID, or use an `iommu-map-mask` that keeps functions apart; "
        + "on SMMUv3 only the first master to probe keeps a shared ID"
    case .streamIDShared:
      "nothing to fix if the masters are meant to share a group (a DMA engine and its client); "
        + "otherwise give each its own stream ID or SMR mask"
    case .legacyBindingRequiresBuiltinSMMU:
      "move the masters to `iommus = <&smmu SID>` (and add `#iommu-cells` to the SMMU), or build "
        + "arm-smmu in with ARM_SMMU_LEGACY_DT_BINDINGS=y"
    case .bootModuleMissing:
      "add the module to the initramfs list (`--format modules-load --boot-device NODE` prints "
        + "the whole set in order)"
    case .bootModuleOrder:
      "load the needed module earlier in the list, or regenerate it with `--format modules-load`"
    case .overlayCheckedAlone:
      "check it applied, as the bootloader applies it: `iommu-plan BASE --overlay OVERLAY`"
    case .bootDeviceUnknown:
      "name the device by its full path (as `fdtget -l` lists it) or by a label in /__symbols__ "
        + "(compile with `dtc -@`)"
    case .bootDeviceDisabled:
      "enable the device and every node above it (`status = \"okay\"`), or boot from another "
        + "device"
    }
  }
}
