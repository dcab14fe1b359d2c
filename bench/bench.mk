# Helpers of `make bench` (invoked by the bench rule of the top Makefile).
# Builds into build/bench/.  Everything here is bench-only.
BUILD   ?= build
CC      ?= cc
CLANG   ?= clang
BPFTOOL ?= bpftool
B       := $(BUILD)/bench
BCFLAGS := -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -D_GNU_SOURCE \
           -Iuser -Ibpf -I$(BUILD) -I$(B) -Ibench

# llhttp's C sources, from Debian's node-llhttp (figure 3's reference parser)
LLHTTP     := /usr/share/llhttp
LLHTTP_INC := /usr/share/include/llhttp

all: $(B)/floor $(B)/probewait $(B)/server $(B)/loadgen $(B)/replay $(B)/bpfload $(B)/sysloop \
     $(if $(wildcard $(LLHTTP)/llhttp.c),$(B)/refparse)

$(B):
	@mkdir -p $@

$(B)/floor.bpf.o: bench/floor.bpf.c | $(B)
	$(CLANG) -O2 -g -target bpf -I/usr/include/$(shell $(CC) -dumpmachine) -c $< -o $@

$(B)/floor.skel.h: $(B)/floor.bpf.o
	$(BPFTOOL) gen skeleton $< name floor_bpf > $@

$(B)/floor: bench/floor.c bench/tlsfuncs.c bench/tlsfuncs.h user/elfsym.c $(B)/floor.skel.h
	$(CC) $(BCFLAGS) bench/floor.c bench/tlsfuncs.c user/elfsym.c -lbpf -lelf -lz -lpthread -o $@

$(B)/probewait: bench/probewait.c bench/tlsfuncs.c bench/tlsfuncs.h user/elfsym.c | $(B)
	$(CC) $(BCFLAGS) bench/probewait.c bench/tlsfuncs.c user/elfsym.c -lelf -lz -lpthread -o $@

$(B)/server: bench/server.c | $(B)
	$(CC) $(BCFLAGS) $< -lssl -lcrypto -lpthread -o $@

$(B)/loadgen: bench/loadgen.c bench/claude_head.h bench/measure.h | $(B)
	$(CC) $(BCFLAGS) $< -lssl -lcrypto -o $@

# the collector alone: the project's library, nothing bypassed
$(B)/replay: bench/replay.c bench/claude_head.h bench/measure.h $(BUILD)/libauthtrace.a | $(B)
	$(CC) $(BCFLAGS) $< $(BUILD)/libauthtrace.a -lbpf -lelf -lz -lcjson -lcrypto -lnghttp2 -lpthread -o $@

# a reference for the collector: llhttp tokenizing the same heads (-O2 like
# the project; llhttp's generated code is not held to the project's warnings)
$(B)/refparse: bench/refparse.c bench/claude_head.h bench/measure.h | $(B)
	$(CC) $(BCFLAGS) -I$(LLHTTP_INC) -c $< -o $(B)/refparse.o
	$(CC) -O2 -g -w -I$(LLHTTP_INC) $(LLHTTP)/llhttp.c $(LLHTTP)/api.c $(LLHTTP)/http.c \
		$(B)/refparse.o -o $@

# the project's own BPF object, loaded as user/tracer.c loads it
$(B)/bpfload: bench/bpfload.c $(BUILD)/authtrace.skel.h | $(B)
	$(CC) $(BCFLAGS) $< -lbpf -lelf -lz -o $@

$(B)/sysloop: bench/sysloop.c | $(B)
	$(CC) $(BCFLAGS) $< -o $@

.PHONY: all
