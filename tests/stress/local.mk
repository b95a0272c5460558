# tests/stress: allocator stress and real programs under each allocator (included by tests/local.mk)
#
# make check runs the bounded tests below; `make stress` runs the long version
# (STRESS_SECONDS per allocator, default 300) and prints a summary.  The
# stress program is the shared tests/alloc/stress (built without sanitizers,
# run under LD_PRELOAD).
STRESS_TESTS = \
	tests/stress/stress-glibc.test \
	tests/stress/stress-list.test \
	tests/stress/stress-buddy.test \
	tests/stress/stress-bucket.test \
	tests/stress/programs.test
TESTS += $(STRESS_TESTS)
EXTRA_DIST += $(STRESS_TESTS) \
	tests/stress/run-stress.sh \
	tests/stress/programs.sql \
	tests/stress/programs-cc.c

# tests/stress/tsan.test compiles the allocators with -fsanitize=thread itself
# (skipped where that is impossible)
TESTS += tests/stress/tsan.test
EXTRA_DIST += tests/stress/tsan.test tests/stress/long.sh .ci/extra.d/stress.sh \
	docs/reliability/stress.md

# `make stress`: the long run.  make stress STRESS_SECONDS=60 STRESS_PARTS=stress
STRESS_SECONDS = 300
STRESS_THREADS = 16
STRESS_PARTS = stress tsan programs
stress: all tests/alloc/stress$(EXEEXT)
	@$(AM_TESTS_ENVIRONMENT) STRESS_SECONDS='$(STRESS_SECONDS)' \
	    STRESS_THREADS='$(STRESS_THREADS)' STRESS_PARTS='$(STRESS_PARTS)' \
	    $(SHELL) $(srcdir)/tests/stress/long.sh
PHONY_TARGETS += stress
