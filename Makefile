# riposte — a new user needs two commands (README.md):
#
#   make check   install what is missing, build with -Werror, run every test,
#                run them again under ASan+UBSan, replay every fuzz corpus;
#                ends with one line "N passed, N failed, N skipped"
#   make demo    install what is missing, build, then on examples/data: riposte
#                events, scan, ingest into a fresh build/demo.db, incident list/show,
#                respond (dry runs of the matching playbooks), runs, audit verify;
#                then the story (scripts/demo-story.py): moto seeded with the AWS
#                CLI, riposte serve, a root key compromise, ending "alert-to-fix: N ms"
#
# And for developers:
#   make build   build build/             make test   build/ tests only
#   make asan    build-asan/ tests only   make fuzz   libFuzzer, FUZZ_SECONDS each
#   make bench   bench/run                make clean  remove the build dirs
#
# tests/run does the counting; `tests/run --help` says how. Set V=1 to see
# every test line instead of one line per test binary.

BUILD        ?= build
ASAN_BUILD   ?= build-asan
FUZZ_BUILD   ?= build-fuzz
FUZZ_SECONDS ?= 60
DEMO_DB      ?= $(BUILD)/demo.db
DEMO         ?= 'events --format text examples/data' 'scan examples/data' \
                'ingest --db $(DEMO_DB) examples/data' 'incident list --db $(DEMO_DB)' \
                'incident show 1 --db $(DEMO_DB)' 'respond --db $(DEMO_DB)' \
                'runs --db $(DEMO_DB)' 'audit verify --db $(DEMO_DB)'

SANITIZE     = -Db_sanitize=address,undefined -Db_lundef=false
TEST_FLAGS   = $(if $(V),,-q)
MAKE_SELF    = $(MAKE) --no-print-directory

.PHONY: all check demo deps build asan-build test asan fuzz bench clean

all: build

check:
	@scripts/install-deps
	@$(MAKE_SELF) build asan-build
	@tests/run $(TEST_FLAGS) $(BUILD) --asan $(ASAN_BUILD)

# Exit status 1 is part of the demo: `events` reports the one malformed
# record examples/data holds on purpose, and `scan` exits 1 when it has hits
# (grep style). Only 2 and above are failures.
demo:
	@scripts/install-deps
	@$(MAKE_SELF) build
	@rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm $(DEMO_DB).engine-lock
	@for args in $(DEMO); do \
	    printf '\n$$ %s/riposte %s\n' $(BUILD) "$$args"; \
	    ./$(BUILD)/riposte $$args 2>&1; rc=$$?; \
	    if [ $$rc -gt 1 ]; then echo "demo: riposte $$args failed (exit $$rc)"; exit $$rc; fi; \
	done
	@printf '\n== the story: a root key compromise, seen and contained by riposte serve ==\n'
	@python3 scripts/demo-story.py $(BUILD)/riposte

deps:
	@scripts/install-deps

build: $(BUILD)/build.ninja
	@ninja -C $(BUILD)

asan-build: $(ASAN_BUILD)/build.ninja
	@ninja -C $(ASAN_BUILD)

test: build
	@tests/run $(TEST_FLAGS) $(BUILD)

asan: asan-build
	@tests/run $(TEST_FLAGS) --asan $(ASAN_BUILD)

# A build dir is configured once; ninja re-runs meson when meson.build changes.
# --wipe recovers a dir whose earlier configuration failed half-way.
configure = if [ -f $(1)/meson-private/coredata.dat ]; then meson setup --wipe $(1) $(2); \
	    else meson setup $(1) $(2); fi

$(BUILD)/build.ninja:
	@$(call configure,$(BUILD),)

$(ASAN_BUILD)/build.ninja:
	@$(call configure,$(ASAN_BUILD),$(SANITIZE))

$(FUZZ_BUILD)/build.ninja:
	@export CC=clang; $(call configure,$(FUZZ_BUILD),$(SANITIZE) -Dfuzzing=true \
	    -Dc_args=-fsanitize=fuzzer-no-link -Dwerror=false)

# Each target fuzzes for FUZZ_SECONDS. New inputs go to a scratch corpus in
# $(FUZZ_BUILD); crash inputs land in fuzz/corpus/<name>/, where make check
# replays them: commit them with the fix.
fuzz: $(FUZZ_BUILD)/build.ninja
	@ninja -C $(FUZZ_BUILD)
	@status=0; for exe in $(FUZZ_BUILD)/fuzz/fuzz-*; do \
	    [ -f $$exe ] && [ -x $$exe ] || continue; \
	    name=$${exe##*/fuzz-}; \
	    mkdir -p fuzz/corpus/$$name $(FUZZ_BUILD)/corpus/$$name; \
	    echo "fuzz: $$name for $(FUZZ_SECONDS)s"; \
	    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    $$exe -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	        -artifact_prefix=fuzz/corpus/$$name/ \
	        $(FUZZ_BUILD)/corpus/$$name fuzz/corpus/$$name || status=1; \
	done; \
	if [ $$status -ne 0 ]; then echo "fuzz: crash inputs saved in fuzz/corpus/ (git status)"; fi; \
	exit $$status

bench: build
	@if [ -x bench/run ]; then bench/run; else echo "bench: no bench/run yet"; fi

clean:
	rm -rf $(BUILD) $(ASAN_BUILD) $(FUZZ_BUILD)
