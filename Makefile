# Gapura: the two set-up commands are `make run` and `make test` (root on Debian 12).
# Everything they need is installed from Debian's packages and the npm registry.
SHELL := /bin/bash
.DEFAULT_GOAL := help
JOBS ?= $(shell nproc)

DEB_BUILD := g++ cmake ninja-build pkg-config git ca-certificates \
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev \
  libsqlite3-dev zlib1g-dev libsodium-dev libspdlog-dev libfmt-dev libkainjow-mustache-dev googletest libgtest-dev
DEB_TEST := clang libclang-rt-14-dev chromium nginx-light wrk curl procps sqlite3 python3 unzip

.PHONY: help deps deps-test node build build-asan build-fuzz run test unit unit-asan fuzz fuzz-short e2e lint-api bench clean format

help:
	@echo "make run    install what is missing, build, migrate, load Tuban's data + demo data, serve on http://127.0.0.1:8080"
	@echo "make test   install what the tests need, build, run every test (optimised + ASan/UBSan, fuzz, e2e, browser)"
	@echo "make build | make fuzz (long fuzzing) | make bench (wrk vs nginx) | make clean"

# Installs missing Debian packages (apt-get update only when something is missing).
define apt_need
	@missing=""; for p in $(1); do dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "installing:$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; fi
endef

deps:
	$(call apt_need,$(DEB_BUILD))
	@command -v npm >/dev/null || { export DEBIAN_FRONTEND=noninteractive; apt-get update -q && apt-get install -y -q --no-install-recommends nodejs npm; }

deps-test: deps
	$(call apt_need,$(DEB_TEST))

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

node: deps node_modules/.installed

build: deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS)

build-asan: deps-test
	cmake --preset asan >/dev/null
	cmake --build --preset asan -j $(JOBS)

build-fuzz: deps-test
	cmake --preset fuzz >/dev/null
	cmake --build --preset fuzz -j $(JOBS)

# Builds only the server binary (the test binaries are `make test`'s business).
run: node deps
	cmake --preset release >/dev/null
	cmake --build --preset release -j $(JOBS) --target gapura
	mkdir -p var
	./build/gapura seed --demo
	@echo "Demo accounts (password gapura-demo-2026): admin@demo.gapura.id, walidata@demo.gapura.id, teknisi@demo.gapura.id,"
	@echo "  operator.pupr@demo.gapura.id, warga@demo.gapura.id, usaha@demo.gapura.id; each kecamatan office:"
	@echo "  operator.kec-<name>@demo.gapura.id (e.g. operator.kec-merakurak@demo.gapura.id); a few desa offices:"
	@echo "  operator.desa-<kecamatan>-<desa>@demo.gapura.id (e.g. operator.desa-kenduruan-jlodro@demo.gapura.id)"
	./build/gapura serve

unit: build
	cd build && ctest --output-on-failure -j $(JOBS)

unit-asan: build-asan
	cd build-asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# Each fuzz target for a short, bounded time; `make fuzz` runs them longer.
FUZZ_SECONDS ?= 20
fuzz-short: build-fuzz
	@set -e; for t in build-fuzz/tests/fuzz/fuzz_*; do [ -x "$$t" ] || continue; n=$$(basename $$t); \
	  mkdir -p build-fuzz/corpus/$$n; echo "fuzzing $$n for $(FUZZ_SECONDS)s"; \
	  $$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=0 build-fuzz/corpus/$$n tests/fuzz/corpus/$$n 2>&1 | tail -1; done

fuzz:
	$(MAKE) fuzz-short FUZZ_SECONDS=600

e2e: node build build-asan
	GAPURA_BIN=$(CURDIR)/build/gapura node --test tests/e2e/
	GAPURA_BIN=$(CURDIR)/build-asan/gapura GAPURA_E2E_SKIP_BROWSER=1 node --test tests/e2e/

lint-api: node
	npx --no-install redocly lint docs/openapi.yaml

test: deps-test node
	$(MAKE) unit unit-asan fuzz-short lint-api e2e

bench: build deps-test
	bash bench/http.sh
	bash bench/usulan.sh
	bash bench/layanan.sh
	bash bench/satudata.sh
	bash bench/satudata_upload.sh

format:
	clang-format -i $$(git ls-files 'src/*.cpp' 'src/*.hpp' 'tests/*.cpp')

clean:
	rm -rf build build-asan build-fuzz build-bench
