# Thin wrapper over CMake presets. `make` builds ./build/psyclaim, `make test` runs every test in the
# normal and the ASan+UBSan build, `make demo` builds and serves a demo practice, `make bench` installs
# the load-test tools (wrk, nginx) and runs every benchmark on a release build. `make fuzz` builds the
# libFuzzer targets with clang and runs each for FUZZ_SECONDS (new inputs go to build-fuzz/corpus/).
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DB ?= demo.db
FUZZ_SECONDS ?= 30
FUZZ_TARGETS = fuzz_import fuzz_coding fuzz_x12 fuzz_271 fuzz_837 fuzz_search fuzz_ack

.PHONY: all deps build test test-debug test-asan release bench demo fuzz clean

all: build

deps:
	@scripts/bootstrap.sh

build: deps
	@test -f build/build.ninja || cmake --preset debug
	cmake --build build -j $(JOBS)

test: deps
	@test -f build/build.ninja || cmake --preset debug
	cmake --build build -j $(JOBS)
	ctest --test-dir build --output-on-failure -j $(JOBS)
	@test -f build-asan/build.ninja || cmake --preset asan-ubsan
	cmake --build build-asan -j $(JOBS)
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  ctest --test-dir build-asan --output-on-failure -j $(JOBS)
	@# the optimised build must compile too: -O3 finds warnings (errors here) that -O0 does not
	@test -f build-release/build.ninja || cmake --preset release
	cmake --build build-release -j $(JOBS)

release: deps
	@test -f build-release/build.ninja || cmake --preset release
	cmake --build build-release -j $(JOBS)

bench: release
	@scripts/bootstrap.sh --bench
	scripts/bench.sh build-release docs/benchmarks.md

fuzz: deps
	@test -f build-fuzz/build.ninja || cmake --preset fuzz
	cmake --build build-fuzz -j $(JOBS) --target $(FUZZ_TARGETS)
	@set -e; for t in $(FUZZ_TARGETS); do \
	  mkdir -p build-fuzz/corpus/$$t; \
	  echo "== $$t for $(FUZZ_SECONDS) s"; \
	  build-fuzz/fuzz/$$t -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 -artifact_prefix=build-fuzz/ \
	    build-fuzz/corpus/$$t fuzz/corpus/$$t 2>build-fuzz/$$t.log || { tail -n 40 build-fuzz/$$t.log; exit 1; }; \
	  grep -E '^stat::number_of_executed_units|^Done' build-fuzz/$$t.log || true; \
	done

demo: build
	scripts/demo.sh $(DEMO_DB)

clean:
	rm -rf build build-asan build-release build-fuzz
