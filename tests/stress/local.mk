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
