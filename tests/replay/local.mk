# tests/replay: huskyreplay's tests, a text -> trace converter (mkhtr) and
# three preloadable test allocators: bump (never frees), overlap (returns
# overlapping blocks) and crash (crashes or hangs on its N-th call).
check_PROGRAMS += tests/replay/mkhtr
tests_replay_mkhtr_SOURCES = tests/replay/mkhtr.c
tests_replay_mkhtr_LDADD = src/trace/libhtr.la

replay_test_ldflags = $(PRELOAD_LDFLAGS) -rpath $(abs_builddir)
check_LTLIBRARIES += \
	tests/replay/libreplay-bump.la \
	tests/replay/libreplay-overlap.la \
	tests/replay/libreplay-crash.la
tests_replay_libreplay_bump_la_SOURCES = tests/replay/bump.c tests/replay/bumpcore.h
tests_replay_libreplay_bump_la_CFLAGS = $(NOSAN_CFLAGS) -fno-builtin
tests_replay_libreplay_bump_la_LDFLAGS = $(replay_test_ldflags)
tests_replay_libreplay_overlap_la_SOURCES = tests/replay/overlap.c tests/replay/bumpcore.h
tests_replay_libreplay_overlap_la_CFLAGS = $(NOSAN_CFLAGS) -fno-builtin
tests_replay_libreplay_overlap_la_LDFLAGS = $(replay_test_ldflags)
tests_replay_libreplay_crash_la_SOURCES = tests/replay/crash.c tests/replay/bumpcore.h
tests_replay_libreplay_crash_la_CFLAGS = $(NOSAN_CFLAGS) -fno-builtin
tests_replay_libreplay_crash_la_LDFLAGS = $(replay_test_ldflags)

TESTS += \
	tests/replay/plan.test \
	tests/replay/replay.test \
	tests/replay/peak.test \
	tests/replay/verify.test \
	tests/replay/isolate.test \
	tests/replay/badinput.test \
	tests/replay/real.test
EXTRA_DIST += \
	tests/replay/plan.test \
	tests/replay/replay.test \
	tests/replay/peak.test \
	tests/replay/verify.test \
	tests/replay/isolate.test \
	tests/replay/badinput.test \
	tests/replay/real.test \
	tests/replay/bench-replay.sh \
	tests/replay/data/basic.txt \
	tests/replay/data/threads.txt \
	tests/replay/data/blocks.txt \
	tests/replay/data/realloc.txt \
	tests/replay/data/memalign.txt \
	tests/replay/data/inherited.txt \
	tests/replay/data/overlap.txt \
	tests/replay/data/twice.txt \
	tests/replay/data/empty.txt
