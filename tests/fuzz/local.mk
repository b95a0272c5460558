# tests/fuzz: libFuzzer harnesses, bad-input and memcheck tests (included by tests/local.mk)
#
# `make fuzz` builds each harness with clang -fsanitize=fuzzer,address,undefined
# straight from the sources it tests (configure's CC may be gcc) and runs it
# for FUZZ_SECONDS (default 60) after replaying its seeds and regression
# inputs; new corpus entries and crash inputs go under tests/fuzz/work/.
# `make fuzz-build` only builds them.  Harnesses:
#   trace      the trace reader (htr_open/htr_next, merged and file order)
#   import     the mtrace importer (huskytrace import)
#   plan       the replay-plan loader (rp_plan_map, what huskyreplay-worker maps)
#   planbuild  trace -> plan -> cache (what huskyreplay does before a run)
FUZZ_SECONDS = 60
FUZZ_CC = $(CLANG)
FUZZ_NAMES = trace import plan planbuild
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all
fuzz_cc = $(FUZZ_CC) $(FUZZ_CFLAGS) $(AM_CPPFLAGS)

fuzz_trace_sources = tests/fuzz/fuzz_trace.c $(htr_sources)
fuzz_import_sources = tests/fuzz/fuzz_import.c $(htr_sources)
fuzz_plan_sources = tests/fuzz/fuzz_plan.c replay/plan_file.c
fuzz_planbuild_sources = tests/fuzz/fuzz_planbuild.c replay/plan_build.c \
	replay/plan_cache.c replay/plan_file.c $(htr_sources)
fuzz_headers = tests/fuzz/fuzz_util.h tests/fuzz/plan_walk.h src/trace/trace.h \
	src/trace/htr_internal.h replay/rp.h

tests/fuzz/fuzz_trace: $(fuzz_trace_sources) $(fuzz_headers) config.h
	$(AM_V_CC)$(fuzz_cc) -o $@ $(fuzz_trace_sources:%=$(srcdir)/%)
# import.c is compiled into its harness; its option parser is generated
# (in the build tree, or shipped in the source tree of a tarball)
tests/fuzz/fuzz_import: $(fuzz_import_sources) src/tools/import.c $(fuzz_headers) \
		src/tools/cmdline_import.c config.h
	$(AM_V_CC)p=src/tools/cmdline_import.c; test -f $$p || p=$(srcdir)/$$p; \
	$(fuzz_cc) -o $@ $(fuzz_import_sources:%=$(srcdir)/%) $$p
tests/fuzz/fuzz_plan: $(fuzz_plan_sources) $(fuzz_headers) config.h
	$(AM_V_CC)$(fuzz_cc) -o $@ $(fuzz_plan_sources:%=$(srcdir)/%)
tests/fuzz/fuzz_planbuild: $(fuzz_planbuild_sources) $(fuzz_headers) config.h
	$(AM_V_CC)$(fuzz_cc) -o $@ $(fuzz_planbuild_sources:%=$(srcdir)/%)

fuzz_programs = $(FUZZ_NAMES:%=tests/fuzz/fuzz_%)
CLEANFILES += $(fuzz_programs)
PHONY_TARGETS += fuzz fuzz-build fuzz-cc clean-fuzz
clean-local: clean-fuzz
clean-fuzz:
	rm -rf tests/fuzz/work

# fuzz-cc: a clear stop when no clang with libFuzzer is at hand
fuzz-cc:
	@test -n "$(FUZZ_CC)" || { echo "make fuzz: clang not found (install clang and" \
	  "libclang-rt-dev, then re-run configure, or pass FUZZ_CC=clang-N)" >&2; exit 1; }
	@printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n);\nint LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return d && n; }\n' \
	  >tests/fuzz/probe.c && \
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o tests/fuzz/probe tests/fuzz/probe.c \
	  >/dev/null 2>&1; rc=$$?; rm -f tests/fuzz/probe tests/fuzz/probe.c; \
	test $$rc = 0 || { echo "make fuzz: $(FUZZ_CC) cannot build libFuzzer programs" \
	  "(install libclang-rt-dev for clang's fuzzer and sanitizer runtimes)" >&2; exit 1; }
fuzz-build: fuzz-cc
	@$(MAKE) $(AM_MAKEFLAGS) $(fuzz_programs)
fuzz: fuzz-build
	$(SHELL) $(srcdir)/tests/fuzz/run-fuzz.sh $(FUZZ_SECONDS) tests/fuzz/work $(srcdir) \
	  $(FUZZ_NAMES)

EXTRA_DIST += \
	tests/fuzz/fuzz_util.h \
	tests/fuzz/plan_walk.h \
	tests/fuzz/fuzz_trace.c \
	tests/fuzz/fuzz_import.c \
	tests/fuzz/fuzz_plan.c \
	tests/fuzz/fuzz_planbuild.c \
	tests/fuzz/run-fuzz.sh

# seed corpora: small traces, mtrace logs and plans made with our own tools
EXTRA_DIST += \
	tests/fuzz/corpus/import/plain.mtrace \
	tests/fuzz/corpus/import/program.mtrace \
	tests/fuzz/corpus/import/sample.mtrace \
	tests/fuzz/corpus/plan/empty.bin \
	tests/fuzz/corpus/plan/gen-producer-consumer.bin \
	tests/fuzz/corpus/plan/memalign.bin \
	tests/fuzz/corpus/plan/realloc.bin \
	tests/fuzz/corpus/plan/threads.bin \
	tests/fuzz/corpus/planbuild/basic.htr \
	tests/fuzz/corpus/planbuild/callers.htr \
	tests/fuzz/corpus/planbuild/empty.htr \
	tests/fuzz/corpus/planbuild/gen-producer-consumer.htr \
	tests/fuzz/corpus/planbuild/gen-random-mix.htr \
	tests/fuzz/corpus/planbuild/gen-realloc-grow.htr \
	tests/fuzz/corpus/planbuild/inherited.htr \
	tests/fuzz/corpus/planbuild/memalign.htr \
	tests/fuzz/corpus/planbuild/realloc.htr \
	tests/fuzz/corpus/planbuild/threads.htr \
	tests/fuzz/corpus/trace/basic.htr \
	tests/fuzz/corpus/trace/callers.htr \
	tests/fuzz/corpus/trace/empty.htr \
	tests/fuzz/corpus/trace/gen-producer-consumer.htr \
	tests/fuzz/corpus/trace/gen-random-mix.htr \
	tests/fuzz/corpus/trace/gen-realloc-grow.htr \
	tests/fuzz/corpus/trace/inherited.htr \
	tests/fuzz/corpus/trace/memalign.htr \
	tests/fuzz/corpus/trace/realloc.htr \
	tests/fuzz/corpus/trace/threads.htr

# ---- regression tests of the fuzz findings (tests/fuzz/regress/NAME-*) ----
check_PROGRAMS += tests/fuzz/planstamp
tests_fuzz_planstamp_SOURCES = tests/fuzz/planstamp.c replay/plan_file.c
TESTS += tests/fuzz/regress.test
EXTRA_DIST += \
	tests/fuzz/regress.test \
	tests/fuzz/regress/plan-thread-range-overflow.bin \
	tests/fuzz/regress/plan-thread-range-wrap.bin \
	tests/fuzz/regress/planbuild-sparse-thread-index.htr \
	tests/fuzz/regress/trace-tsc-time-overflow.htr

# ---- bad input for every tool that reads files ----
TESTS += tests/fuzz/badinput.test
EXTRA_DIST += tests/fuzz/badinput.test

# ---- valgrind memcheck of the tools on sample traces ----
TESTS += tests/fuzz/memcheck.test
EXTRA_DIST += tests/fuzz/memcheck.test

# ---- the replay worker rebuilt with ThreadSanitizer ----
TESTS += tests/fuzz/tsan-worker.test
EXTRA_DIST += tests/fuzz/tsan-worker.test

# the notes for docs/RELIABILITY.md
EXTRA_DIST += docs/reliability/fuzz.md
