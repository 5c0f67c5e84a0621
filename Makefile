# Makefile — builds libcustos, the custos tool, tests, fuzzers and benchmarks.
#
#   make            release build: build/custos, build/libcustos.a
#   make demo       installs missing Debian packages, builds, runs the demo
#   make check      installs missing packages, builds with ASan+UBSan, runs every test
#   make fuzz-smoke builds the libFuzzer targets with clang and runs each briefly
#   make bench      builds and runs the benchmarks under bench/
#   make profile-B  one run of bench/B under perf, its top functions printed (B: log, http, screen, ...)

CC      ?= cc
PKGS    := sqlite3 libpq jansson libcrypto libsodium libidn2 libmicrohttpd icu-uc icu-i18n libcurl yaml-0.1
WARN    := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wpointer-arith \
           -Wformat=2 -Wvla -Wno-unused-parameter
CSTD    := -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread -lm
CPPFLAGS := -Iinclude -Isrc/lib -Isrc/lib/util
OPT     ?= -O2 -g
SAN     := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

LIB_SRC   := $(sort $(wildcard src/lib/*/*.c))
CLI_SRC   := $(sort $(wildcard src/cli/*.c))
SRV_SRC   := $(sort $(wildcard src/server/*.c))
TEST_SRC  := $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC  := $(sort $(wildcard fuzz/fuzz_*.c))
BENCH_SRC := $(sort $(wildcard bench/*.c))
EMBED     := $(sort $(wildcard rules/be/*.rules rules/be/cases/*.json demo/*.jsonl demo/measures/*.json \
             web/*.html web/*.js web/*.css))

# Quiet by default; `make V=1` shows every command.
ifeq ($(V),1)
Q :=
say = @true
else
Q := @
say = @printf '  %-6s %s\n'
endif

# Two trees: build/rel (optimised) and build/san (sanitisers, for tests).
REL := build/rel
SANB := build/san

.PHONY: all demo check test deps fuzz fuzz-smoke bench clean lint
# Keep intermediate objects (fuzz and bench builds) so rebuilds stay incremental.
.SECONDARY:
all: build/custos

build/gen/embedded.c: tools/embed.c $(EMBED)
	@mkdir -p build/gen
	$(say) EMBED $@
	$(Q)$(CC) -std=c11 -O1 -o build/embed tools/embed.c
	$(Q)./build/embed $@ $(EMBED)

# --- release tree -----------------------------------------------------------
$(REL)/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC $<
	$(Q)$(CC) $(CSTD) $(WARN) $(OPT) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(REL)/libcustos.a: $(LIB_SRC:%.c=$(REL)/%.o) $(REL)/build/gen/embedded.o
	$(say) AR $@
	$(Q)ar rcs $@ $^

# The HTTP server (src/server) is a second face on the library, linked into the tool.
$(REL)/libcustos-server.a: $(SRV_SRC:%.c=$(REL)/%.o)
	$(say) AR $@
	$(Q)ar rcs $@ $^

build/custos: $(CLI_SRC:%.c=$(REL)/%.o) $(REL)/libcustos-server.a $(REL)/libcustos.a
	$(say) LD $@
	$(Q)$(CC) $(OPT) -o $@ $^ $(PKG_LIBS)

# --- sanitiser tree -----------------------------------------------------------
$(SANB)/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC-SAN $<
	$(Q)$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@

$(SANB)/libcustos.a: $(LIB_SRC:%.c=$(SANB)/%.o) $(SANB)/build/gen/embedded.o
	$(say) AR $@
	$(Q)ar rcs $@ $^

$(SANB)/libcustos-server.a: $(SRV_SRC:%.c=$(SANB)/%.o)
	$(say) AR $@
	$(Q)ar rcs $@ $^

$(SANB)/custos: $(CLI_SRC:%.c=$(SANB)/%.o) $(SANB)/libcustos-server.a $(SANB)/libcustos.a
	$(say) LD $@
	$(Q)$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

$(SANB)/tests/%: tests/unit/%.c $(SANB)/libcustos-server.a $(SANB)/libcustos.a
	@mkdir -p $(dir $@)
	$(say) TEST $@
	$(Q)$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -o $@ $< $(SANB)/libcustos-server.a \
	    $(SANB)/libcustos.a $(PKG_LIBS) $$(pkg-config --libs cmocka) $(TEST_LDFLAGS)

# The allocation-failure test fails allocations of the library's own code (and jansson's and SQLite's, by their hooks).
$(SANB)/tests/test_alloc: TEST_LDFLAGS := -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=strdup,--wrap=strndup \
	-Wl,--wrap=json_loads,--wrap=json_loadb

# Fuzz targets replayed over their corpus (and regression inputs) by a plain driver.
$(SANB)/replay/%: fuzz/%.c fuzz/replay.c $(SANB)/libcustos-server.a $(SANB)/libcustos.a
	@mkdir -p $(dir $@)
	$(say) REPLAY $@
	$(Q)$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $< fuzz/replay.c $(SANB)/libcustos-server.a \
	    $(SANB)/libcustos.a $(PKG_LIBS)

# Test tools driven by the golden tests (e.g. the crash-test writer).
TOOL_SRC := $(sort $(wildcard tests/crash/*.c))
$(SANB)/crash/%: tests/crash/%.c $(SANB)/libcustos.a
	@mkdir -p $(dir $@)
	$(say) TOOL $@
	$(Q)$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $< $(SANB)/libcustos.a $(PKG_LIBS)

TEST_TOOL_SRC := $(sort $(wildcard tests/tools/*.c))
$(SANB)/tools/%: tests/tools/%.c $(SANB)/libcustos.a
	@mkdir -p $(dir $@)
	$(say) TOOL $@
	$(Q)$(CC) $(CSTD) $(WARN) -O1 -g $(SAN) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $< $(SANB)/libcustos.a $(PKG_LIBS)

UNIT_BINS   := $(TEST_SRC:tests/unit/%.c=$(SANB)/tests/%)
TOOL_BINS   := $(TOOL_SRC:tests/crash/%.c=$(SANB)/crash/%) $(TEST_TOOL_SRC:tests/tools/%.c=$(SANB)/tools/%)
REPLAY_BINS := $(FUZZ_SRC:fuzz/%.c=$(SANB)/replay/%)

deps:
	@tools/deps.sh build

# The README's test command: every test, under AddressSanitizer and UBSan.
check: deps
	@$(MAKE) --no-print-directory test

test: $(SANB)/custos $(UNIT_BINS) $(REPLAY_BINS) $(TOOL_BINS)
	@tools/run-tests.sh $(SANB)

demo: deps
	@$(MAKE) --no-print-directory build/custos
	@rm -rf build/demo.db build/demo.db-wal build/demo.db-shm build/demo.db.keys build/demo.db.log-key
	./build/custos --store build/demo.db demo $(DEMO_FLAGS)

# --- fuzzing (clang libFuzzer) ------------------------------------------------
FUZZ_CC := clang
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
FUZZ_LIB_OBJ := $(SRV_SRC:%.c=build/fuzz/%.o) $(LIB_SRC:%.c=build/fuzz/%.o) build/fuzz/build/gen/embedded.o
build/fuzz/%.o: %.c
	@mkdir -p $(dir $@)
	$(say) CC-FUZZ $<
	$(Q)$(FUZZ_CC) $(CSTD) $(WARN) -g -O1 -fsanitize=fuzzer-no-link,address,undefined $(CPPFLAGS) $(PKG_CFLAGS) -MMD -MP -c $< -o $@
build/fuzz/bin/%: fuzz/%.c $(FUZZ_LIB_OBJ)
	@mkdir -p $(dir $@)
	$(say) FUZZER $@
	$(Q)$(FUZZ_CC) $(CSTD) $(WARN) $(FUZZ_FLAGS) $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $< $(FUZZ_LIB_OBJ) $(PKG_LIBS)
fuzz: $(FUZZ_SRC:fuzz/%.c=build/fuzz/bin/%)
FUZZ_SECONDS ?= 30
fuzz-smoke:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory fuzz
	@tools/fuzz-smoke.sh $(FUZZ_SECONDS)

# --- benchmarks -----------------------------------------------------------------
build/bench/%: bench/%.c bench/bench.h $(wildcard bench/*.h) $(REL)/libcustos-server.a $(REL)/libcustos.a
	@mkdir -p $(dir $@)
	$(say) BENCH $@
	$(Q)$(CC) $(CSTD) $(WARN) -O2 -g $(CPPFLAGS) $(PKG_CFLAGS) -o $@ $< $(REL)/libcustos-server.a $(REL)/libcustos.a $(PKG_LIBS)
# bench/log measures PostgreSQL too, on a server of its own (tools/pg.sh), stopped at the end
bench: deps $(BENCH_SRC:bench/%.c=build/bench/%)
	@pgdir=$$(mktemp -d -t custos-pg.XXXXXX); export BENCH_PG=$$(tools/pg.sh start $$pgdir) || exit 1; \
	for b in $(BENCH_SRC:bench/%.c=build/bench/%); do echo "== $$b"; $$b || { tools/pg.sh stop $$pgdir; exit 1; }; done; \
	tools/pg.sh stop $$pgdir

# make profile-BENCH (profile-log, profile-http, profile-screen, ...): a CPU profile of one run of bench/BENCH
# recorded with perf (Debian's linux-perf, call graphs), its top functions printed; the run's own output and the
# profile stay in build/profile-BENCH.{out,data} for `perf report -i`. BENCH_ARGS passes arguments to the bench.
profile-%: deps build/bench/%
	@echo "== perf record: build/bench/$* $(BENCH_ARGS) (its output: build/profile-$*.out)"
	@perf record -F 499 -g -o build/profile-$*.data -- build/bench/$* $(BENCH_ARGS) >build/profile-$*.out 2>&1 || \
		{ tail -20 build/profile-$*.out; exit 1; }
	@echo "== the functions the CPU spent its samples in (self time, 1 % and more), every thread of the run"
	@perf report -i build/profile-$*.data --stdio --no-children --sort comm,dso,symbol --percent-limit 1 \
		-g none 2>/dev/null | grep -v '^#' | grep -v '^$$' | head -40

lint:
	@tools/lint.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
