# authtrace — build, test, fuzz, bench.
#
#   make            build/authtrace
#   make test       unit tests (plain and ASan+UBSan), end-to-end tests (root),
#                   and every fuzzer for FUZZ_SECONDS (60 by default, as in CI)
#   make unit       unit tests only
#   make e2e        end-to-end tests only (root; SKIPs with a reason otherwise)
#   make deploy-check  validate deploy/ (systemd unit, DaemonSet, log shippers)
#   make fuzz       every libFuzzer target for FUZZ_SECONDS each
#   make demo       install what is missing, build, run the built-in demo (root)
#   make deps       install missing build/test dependencies (Debian 12, root)

ARCH          := x86
BUILD         := build
CC            ?= cc
CLANG         ?= clang
BPFTOOL       ?= bpftool
FUZZ_SECONDS  ?= 60

WARN     := -Wall -Wextra -Wshadow -Wpointer-arith -Wstrict-prototypes -Wvla \
            -Wno-unused-parameter -Wformat=2
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 $(WARN) -D_GNU_SOURCE -Iuser -I$(BUILD) -Ibpf
LDLIBS   := -lbpf -lelf -lz -lcjson -lcrypto -lnghttp2 -lpthread

# Sanitizer flavour of the library and unit tests (make test runs both).
SANFLAGS := -O1 -g -fsanitize=address,undefined -fno-sanitize-recover=all \
            -fno-omit-frame-pointer

BPF_SRC   := bpf/authtrace.bpf.c
BPF_OBJ   := $(BUILD)/authtrace.bpf.o
SKEL      := $(BUILD)/authtrace.skel.h

LIB_SRC   := $(filter-out user/main.c,$(wildcard user/*.c))
RULES_C   := $(BUILD)/rules_default.c
LIB_OBJ   := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(LIB_SRC)) $(BUILD)/obj/rules_default.o
LIB_ASAN  := $(patsubst user/%.c,$(BUILD)/asan/%.o,$(LIB_SRC)) $(BUILD)/asan/rules_default.o
HDRS      := $(wildcard user/*.h) bpf/authtrace.h

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
UNIT_BIN  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRC))
UNIT_ASAN := $(patsubst tests/unit/%.c,$(BUILD)/tests-asan/%,$(UNIT_SRC))

FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BIN  := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRC))

.PHONY: all clean unit unit-asan e2e deploy-check test fuzz fuzz-build demo deps bench
.DELETE_ON_ERROR:

all: $(BUILD)/authtrace

# --- BPF object and skeleton -------------------------------------------------
$(BPF_OBJ): $(BPF_SRC) bpf/authtrace.h vmlinux/$(ARCH)/vmlinux.h | $(BUILD)
	$(CLANG) -O2 -g -target bpf -mcpu=v3 -D__TARGET_ARCH_$(ARCH) -Ivmlinux/$(ARCH) -Ibpf \
		-Wall -Wno-unused-function -c $< -o $@

$(SKEL): $(BPF_OBJ)
	$(BPFTOOL) gen skeleton $< name authtrace_bpf > $@

# --- user space --------------------------------------------------------------
$(BUILD)/obj/%.o: user/%.c $(HDRS) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/main.o $(BUILD)/obj/probes.o $(BUILD)/obj/tracer.o $(BUILD)/obj/targets.o: $(SKEL)

# rules/default.json is built into the binary
$(RULES_C): rules/default.json scripts/embed-file.sh | $(BUILD)
	scripts/embed-file.sh $< rules_default_json > $@

$(BUILD)/obj/rules_default.o: $(RULES_C) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c $< -o $@

$(BUILD)/asan/rules_default.o: $(RULES_C) | $(BUILD)/asan
	$(CC) $(CFLAGS) $(SANFLAGS) -c $< -o $@

$(BUILD)/libauthtrace.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/authtrace: $(BUILD)/obj/main.o $(BUILD)/libauthtrace.a
	$(CC) $(CFLAGS) $^ $(LDLIBS) -o $@

$(BUILD)/asan/%.o: user/%.c $(HDRS) $(SKEL) | $(BUILD)/asan
	$(CC) $(CFLAGS) $(SANFLAGS) -c $< -o $@

$(BUILD)/libauthtrace-asan.a: $(LIB_ASAN)
	$(AR) rcs $@ $^

# --- unit tests (cmocka) -----------------------------------------------------
$(BUILD)/tests/%: tests/unit/%.c tests/unit/testutil.h $(BUILD)/libauthtrace.a | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit $< $(BUILD)/libauthtrace.a -lcmocka $(LDLIBS) -o $@

$(BUILD)/tests-asan/%: tests/unit/%.c tests/unit/testutil.h $(BUILD)/libauthtrace-asan.a | $(BUILD)/tests-asan
	$(CC) $(CFLAGS) $(SANFLAGS) -Itests/unit $< $(BUILD)/libauthtrace-asan.a -lcmocka $(LDLIBS) -o $@

unit: $(UNIT_BIN)
	@tests/run-unit.sh $(UNIT_BIN)

unit-asan: $(UNIT_ASAN)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
		tests/run-unit.sh $(UNIT_ASAN)

e2e: $(BUILD)/authtrace
	@tests/e2e/run.sh

deploy-check: $(BUILD)/authtrace
	@tests/deploy/check.sh

test: unit unit-asan e2e deploy-check fuzz

# --- fuzzing (libFuzzer; clang) ----------------------------------------------
# fuzz targets link the pure parsing/classifying code, not the BPF loader;
# it is compiled once, instrumented, and shared by every target
FUZZ_LIB_SRC := $(filter-out user/probes.c user/tracer.c user/targets.c user/reaper.c user/privs.c,$(LIB_SRC))
FUZZ_CFLAGS  := -g -O1 -std=gnu11 -D_GNU_SOURCE -Iuser -I$(BUILD) -Ibpf
FUZZ_SAN     := -fsanitize=address,undefined
FUZZ_OBJ     := $(patsubst user/%.c,$(BUILD)/fuzzobj/%.o,$(FUZZ_LIB_SRC)) $(BUILD)/fuzzobj/rules_default.o

$(BUILD)/fuzzobj/%.o: user/%.c $(HDRS) | $(BUILD)/fuzzobj
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link -c $< -o $@

$(BUILD)/fuzzobj/rules_default.o: $(RULES_C) | $(BUILD)/fuzzobj
	$(CLANG) $(FUZZ_CFLAGS) -c $< -o $@

$(BUILD)/libfuzz.a: $(FUZZ_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/fuzz/%: tests/fuzz/%.c tests/fuzz/fuzz_common.h $(BUILD)/libfuzz.a | $(BUILD)/fuzz
	$(CLANG) $(FUZZ_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer $< $(BUILD)/libfuzz.a $(LDLIBS) -o $@

fuzz-build: $(FUZZ_BIN)

fuzz: $(FUZZ_BIN)
	@tests/fuzz/run.sh $(FUZZ_SECONDS) $(FUZZ_BIN)

# --- benchmark (root; not part of make test) ----------------------------------
# Helpers are built by bench/bench.mk into $(BUILD)/bench; bench/run.py measures
# and writes bench/RESULTS.md.  BENCH_QUICK=1 for a short smoke run.
bench: $(BUILD)/authtrace $(BUILD)/libauthtrace.a
	@$(MAKE) --no-print-directory -f bench/bench.mk BUILD=$(BUILD) CC=$(CC) CLANG=$(CLANG) BPFTOOL=$(BPFTOOL)
	@python3 bench/run.py

# --- misc --------------------------------------------------------------------
demo:
	@scripts/demo.sh

deps:
	@./scripts/install-deps.sh

$(BUILD) $(BUILD)/obj $(BUILD)/asan $(BUILD)/tests $(BUILD)/tests-asan $(BUILD)/fuzz $(BUILD)/fuzzobj:
	@mkdir -p $@

clean:
	rm -rf $(BUILD)
