# The two commands of the README: `make demo` (set up, build the three programs, run the quickstart
# sweep, print the report) and `make test` (set up, build everything, run every test). The rest are
# their steps. CMAKE_ARGS go to the configure step (.ci/run passes -DIDDL_WERROR=ON).
BUILD ?= build
DB ?= iddl.db
JOBS ?= $(shell nproc)
CMAKE_ARGS ?=
# What the demo runs: iddl-sweep (which builds iddl-train and iddl-blas-probe, the programs it
# launches) and iddl-report; tests, benchmarks and fuzz targets are left to `make test`.
PROGRAMS = iddl-sweep iddl-train iddl-report
# `make fuzz`: each libFuzzer target for FUZZ_SECONDS, one after the other (docs/fuzzing.md).
FUZZ_SECONDS ?= 600
FUZZ_TARGETS ?= sweep_toml run_spec idx cifar event_lines journal

.PHONY: demo test setup configure programs build bench fuzz clean gpu-check

demo: programs
	$(BUILD)/bin/iddl-sweep run sweeps/quickstart.toml --db $(DB)
	$(BUILD)/bin/iddl-report markdown --db $(DB) --sweep quickstart

test: build
	ctest --test-dir $(BUILD) --output-on-failure -j $(JOBS)

setup:
	scripts/setup.sh

configure: setup
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)

programs: configure
	cmake --build $(BUILD) -j $(JOBS) --target $(PROGRAMS)

build: configure
	cmake --build $(BUILD) -j $(JOBS)

# On a GPU machine: NCCL sums and one ResNet-9 epoch on every GPU, timed, with a verdict (docs/gpu.md).
gpu-check: programs
	$(BUILD)/bin/iddl-sweep gpu-check

bench: build
	$(BUILD)/bin/iddl-bench-train --benchmark_min_time=2
	$(BUILD)/bin/iddl-bench-results
	$(BUILD)/bin/iddl-bench-orchestration 20
	$(BUILD)/bin/iddl-bench-sparsity --benchmark_min_time=0.5
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 \
	  mpirun -np 2 --oversubscribe --bind-to none $(BUILD)/bin/iddl-bench-comm 4 200
	OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMP_NUM_THREADS=1 \
	  mpirun -np 2 --oversubscribe --bind-to core $(BUILD)/bin/iddl-bench-comm 0.78125 500
	$(BUILD)/bin/iddl-sweep run bench/sync_throughput.toml --db $(BUILD)/bench.db --force
	$(BUILD)/bin/iddl-report query --db $(BUILD)/bench.db "$$(cat bench/sync_throughput.sql)"
	$(BUILD)/bin/iddl-sweep run bench/pipeline_efficiency.toml --db $(BUILD)/bench.db --force
	$(BUILD)/bin/iddl-report query --db $(BUILD)/bench.db "$$(cat bench/pipeline_efficiency.sql)"
	$(BUILD)/bin/iddl-sweep run bench/pipeline_boundary.toml --db $(BUILD)/bench.db --force
	$(BUILD)/bin/iddl-report query --db $(BUILD)/bench.db "$$(cat bench/pipeline_boundary.sql)"
	$(BUILD)/bin/iddl-bench-compress --benchmark_min_time=0.3
	$(BUILD)/bin/iddl-sweep run bench/compression_step.toml --db $(BUILD)/bench.db --force
	$(BUILD)/bin/iddl-report query --db $(BUILD)/bench.db "SELECT r.compression, \
	  ROUND(1000.0 * r.train_time_s / 64, 2) AS ms_per_step, ROUND(r.compression_ratio, 4) AS ratio, \
	  r.bytes_sent FROM runs r JOIN sweeps s ON s.id = r.sweep_id WHERE s.name = 'compression_step' ORDER BY r.id"

fuzz: build
	@for target in $(FUZZ_TARGETS); do \
	  echo "fuzz: $$target for $(FUZZ_SECONDS) s"; \
	  tests/fuzz/run_target.sh $(BUILD)/fuzz $$target $(FUZZ_SECONDS) || exit 1; \
	done

clean:
	rm -rf $(BUILD)
