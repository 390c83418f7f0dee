# Thin wrapper over CMake presets. `make` builds ./build/psyclaim, `make test` runs every test in the
# normal and the ASan+UBSan build, `make demo` builds and serves a demo practice, `make bench` installs
# the load-test tools (wrk, nginx) and runs every benchmark on a release build.
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
DEMO_DB ?= demo.db

.PHONY: all deps build test test-debug test-asan release bench demo clean

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

demo: build
	scripts/demo.sh $(DEMO_DB)

clean:
	rm -rf build build-asan build-release
