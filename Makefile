# semindex - one Makefile (LMDB / redis / llm.c style).
#
#   make              optimised build: build/semindex and build/libsemindex.a
#   make test         build and run the quick tier (unit, golden, CLI tests)
#   make check        the same tests under AddressSanitizer + UBSan (build-san/)
#   make bench        benchmarks (see docs/performance.md; SEMINDEX_BENCH_FULL=1 adds
#                     bf16 / int8 on full-size random models, ~15 min)
#   make demo         the nightly job on the bundled demo corpus
#   make fuzz         libFuzzer targets (clang) for the hostile-file parsers
#   make fuzz-smoke   each fuzz target for 25 s from its seeds (CI)
#   make install      PREFIX=/usr/local [DESTDIR=...] (docs/operations.md)
#
# Switches: V=1 full command lines; DEVELOPER=1 adds -Werror; NO_OMP=1 builds
# without OpenMP; ARCH=-march=native bakes this CPU's ISA into the binary (off
# by default: SIMD kernels are chosen at run time, so a binary copied to
# another x86-64 machine still runs); FAISS_PREFIX=/opt/faiss to link a real
# libfaiss_c from there; XCFLAGS/XLDFLAGS extra flags.

VERSION := 0.1.0
PREFIX ?= /usr/local
BUILD ?= build

CC ?= cc
CXX ?= c++
OPT ?= -O2
WARN := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla -Wno-unused-parameter
ifeq ($(DEVELOPER),1)
WARN += -Werror
endif
ARCH ?=
SAN ?=

ifeq ($(NO_OMP),1)
OMP :=
else
OMP := -fopenmp
endif

OPENBLAS_DIR := /usr/lib/x86_64-linux-gnu/openblas-openmp

CPPFLAGS := -I. -D_GNU_SOURCE -DSEMINDEX_VERSION='"$(VERSION)"' $(if $(FAISS_PREFIX),-I$(FAISS_PREFIX)/include)
CFLAGS := -std=c11 $(OPT) -g $(WARN) $(ARCH) $(OMP) $(SAN) -MMD -MP $(XCFLAGS)
CXXFLAGS := -std=c++17 $(OPT) -g -Wall -Wextra -Wno-unused-parameter $(ARCH) $(OMP) $(SAN) -MMD -MP $(XCFLAGS)
LDFLAGS := $(OMP) $(SAN) $(if $(FAISS_PREFIX),-L$(FAISS_PREFIX)/lib -Wl$(,)-rpath$(,)$(FAISS_PREFIX)/lib) $(XLDFLAGS)
, := ,

# --- FAISS C API: a real libfaiss_c if one links, else our own implementation
# of the functions we call (Debian's libfaiss.a ships the C API headers only;
# see docs/architecture.md and index/ann/faiss_c/README). ---
HAVE_FAISS_C := $(shell printf 'const char *faiss_get_last_error(void);\nint main(void){return faiss_get_last_error()!=0;}\n' | \
    $(CC) -x c - -o /dev/null $(if $(FAISS_PREFIX),-L$(FAISS_PREFIX)/lib) -lfaiss_c -lfaiss \
    -L$(OPENBLAS_DIR) -lopenblas -fopenmp -lstdc++ -lm >/dev/null 2>&1 && echo 1)

LIBS := -lfaiss -L$(OPENBLAS_DIR) -Wl,-rpath,$(OPENBLAS_DIR) -lopenblas -ldnnl \
        -llmdb -lzstd -larchive -lxxhash -lutf8proc -lonig -ljansson -lstdc++ -lmvec -lm -lpthread
# semindex's own extensions to the C API (index/ann/faiss_c/faiss_c_ext*.cpp,
# clearly marked, on FAISS's C++ API) are compiled in both cases.
FAISS_C_EXT_SRC := $(wildcard index/ann/faiss_c/faiss_c_ext*.cpp)
ifeq ($(HAVE_FAISS_C),1)
LIBS := -lfaiss_c $(LIBS)
FAISS_C_SRC := $(FAISS_C_EXT_SRC)
else
FAISS_C_SRC := index/ann/faiss_c/faiss_c.cpp $(FAISS_C_EXT_SRC)
endif

# --- sources: every .c under the library folders; pipeline/ is the program,
# bench/ its `semindex bench` command (benchmarks, not part of the library) ---
LIB_DIRS := common ingest ingest/tokenizer ingest/model ingest/encoder ingest/encoder/kernels \
            ingest/source index index/store index/ann query
LIB_SRC := $(foreach d,$(LIB_DIRS),$(wildcard $(d)/*.c)) $(FAISS_C_SRC)
CLI_SRC := $(wildcard pipeline/*.c) $(wildcard bench/*.c)
TEST_SRC := $(wildcard tests/unit/test_*.c)
TOOL_SRC := $(wildcard tools/*.c)

obj = $(patsubst %.cpp,$(BUILD)/obj/%.o,$(patsubst %.c,$(BUILD)/obj/%.o,$(1)))
LIB_OBJ := $(call obj,$(LIB_SRC))
CLI_OBJ := $(call obj,$(CLI_SRC))
TESTS := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(TEST_SRC))
TOOLS := $(patsubst tools/%.c,$(BUILD)/tools/%,$(TOOL_SRC))

ifeq ($(V),1)
Q :=
say :=
else
Q := @
say = @printf '  %-6s %s\n' $(1) $(2);
endif

.PHONY: all test check bench demo fuzz fuzz-smoke install clean tests tools
all: $(BUILD)/semindex tools

$(BUILD)/libsemindex.a: $(LIB_OBJ)
	$(call say,AR,$@)rm -f $@ && ar rcs $@ $^

$(BUILD)/semindex: $(CLI_OBJ) $(BUILD)/libsemindex.a
	$(call say,LINK,$@)$(CXX) -o $@ $(CLI_OBJ) $(BUILD)/libsemindex.a $(LDFLAGS) $(LIBS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(call say,CC,$<)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/obj/%.o: %.cpp
	@mkdir -p $(dir $@)
	$(call say,CXX,$<)$(CXX) $(CPPFLAGS) $(CXXFLAGS) -c $< -o $@

# a unit test of pipeline/ code links those objects too
$(BUILD)/tests/test_opts: $(call obj,pipeline/opts.c pipeline/cli.c)

$(BUILD)/tests/%: tests/unit/%.c tests/check.h $(BUILD)/libsemindex.a
	@mkdir -p $(dir $@)
	$(call say,TEST,$@)$(CC) $(CPPFLAGS) -Itests $(CFLAGS) $< $(filter %.o,$^) -o $@ $(BUILD)/libsemindex.a $(LDFLAGS) $(LIBS)

$(BUILD)/tools/%: tools/%.c $(BUILD)/libsemindex.a
	@mkdir -p $(dir $@)
	$(call say,TOOL,$@)$(CC) $(CPPFLAGS) $(CFLAGS) $< -o $@ $(BUILD)/libsemindex.a $(LDFLAGS) $(LIBS)

tests: $(TESTS) $(BUILD)/semindex
tools: $(TOOLS)

# The quick tier. tests/run.sh runs every unit test binary and every CLI case
# and ends with "N passed, N failed, N skipped".
test: tests tools
	@BUILD=$(BUILD) sh tests/run.sh

check:
	@$(MAKE) --no-print-directory BUILD=build-san OPT=-O1 \
	  SAN='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined' test

bench: all
	@BUILD=$(BUILD) sh tests/bench.sh

demo: all
	@BUILD=$(BUILD) sh demo/run-demo.sh

fuzz:
	@$(MAKE) --no-print-directory -C tests/fuzz BUILD=$(abspath build-fuzz)

# fuzz-smoke: every fuzz target for FUZZ_SECONDS (default 25) s from its seeds;
# fails on a crash, leak or timeout (CI runs it after make test)
fuzz-smoke:
	@$(MAKE) --no-print-directory -C tests/fuzz run BUILD=$(abspath build-fuzz) FUZZ_SECONDS=$(or $(FUZZ_SECONDS),25)

# make install PREFIX=/usr/local [DESTDIR=/tmp/stage]: the program, the
# static library with <semindex.h> and the module headers it includes (under
# include/semindex/; only those: internal headers such as encoder_internal.h stay out), a pkg-config file, the man page (docs/semindex.1.md
# through lowdown -Tman, its "# semindex(1)" title line dropped and the other
# headings raised a level, so NAME, SYNOPSIS... are man sections) and the bash completion (dist/gen-completion.sh).
MAN_DATE := $(shell git log -1 --format=%cs -- docs/semindex.1.md 2>/dev/null)

$(BUILD)/semindex.1: docs/semindex.1.md
	@command -v lowdown >/dev/null || { echo "make: lowdown is needed for the man page (bash .ci/deps.sh)" >&2; exit 1; }
	$(call say,MAN,$@)sed -e '1{/^# /d;}' -e 's/^##/#/' $< | \
	  lowdown -s -Tman -M title=semindex -M section=1 -M 'source=semindex $(VERSION)' \
	  $(if $(MAN_DATE),-M date=$(MAN_DATE)) -o $@.tmp && mv $@.tmp $@

$(BUILD)/semindex.bash: $(BUILD)/semindex dist/gen-completion.sh
	$(call say,GEN,$@)sh dist/gen-completion.sh $(BUILD)/semindex > $@.tmp && mv $@.tmp $@

$(BUILD)/semindex.pc: dist/semindex.pc.in Makefile
	$(call say,GEN,$@)sed -e 's|@PREFIX@|$(PREFIX)|g' -e 's|@VERSION@|$(VERSION)|g' \
	  -e 's|@LIBS@|$(strip $(LDFLAGS) $(LIBS))|g' $< > $@

# the pc file depends on PREFIX: always regenerate it on install
install: all $(BUILD)/semindex.1 $(BUILD)/semindex.bash
	@rm -f $(BUILD)/semindex.pc
	@$(MAKE) --no-print-directory $(BUILD)/semindex.pc
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/include/semindex \
	  $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/bash-completion/completions
	install -m 755 $(BUILD)/semindex $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(BUILD)/libsemindex.a $(DESTDIR)$(PREFIX)/lib/
	install -m 644 semindex.h $(DESTDIR)$(PREFIX)/include/
	for h in $$($(CC) $(CPPFLAGS) -MM -MT x semindex.h | tr -d '\\' | tr ' ' '\n' | grep '\.h$$' | grep -v '^/\|^semindex.h$$'); do \
	  install -D -m 644 $$h $(DESTDIR)$(PREFIX)/include/semindex/$$h || exit 1; done
	install -m 644 $(BUILD)/semindex.pc $(DESTDIR)$(PREFIX)/lib/pkgconfig/
	install -m 644 $(BUILD)/semindex.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(BUILD)/semindex.bash $(DESTDIR)$(PREFIX)/share/bash-completion/completions/semindex

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
