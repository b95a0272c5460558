# tests/alloc-bucket: its part of the build (included by tests/local.mk)
# The size-class table, tested directly (no common layer needed).
check_PROGRAMS += tests/alloc-bucket/size_class_test
tests_alloc_bucket_size_class_test_SOURCES = \
	tests/alloc-bucket/size_class_test.c \
	src/alloc/bucket/size_class.c
TESTS += tests/alloc-bucket/size_class_test

# Programs run under LD_PRELOAD of libhusky-bucket.so by the .test wrappers:
# no sanitizers (their runtime would have to come first).
BUCKET_TEST_PROGS = \
	tests/alloc-bucket/churn \
	tests/alloc-bucket/detect \
	tests/alloc-bucket/large_cache \
	tests/alloc-bucket/overflow \
	tests/alloc-bucket/realloc_place \
	tests/alloc-bucket/remote_merge \
	tests/alloc-bucket/rss_fall \
	tests/alloc-bucket/threads64
check_PROGRAMS += $(BUCKET_TEST_PROGS)
noinst_HEADERS += tests/alloc-bucket/rss.h
BUCKET_TEST_CFLAGS = $(NOSAN_CFLAGS) -pthread
BUCKET_PTHREAD = -pthread
tests_alloc_bucket_churn_CFLAGS = $(BUCKET_TEST_CFLAGS)
tests_alloc_bucket_churn_LDFLAGS = $(BUCKET_PTHREAD)
tests_alloc_bucket_detect_CFLAGS = $(BUCKET_TEST_CFLAGS)
tests_alloc_bucket_detect_LDFLAGS = $(BUCKET_PTHREAD)
tests_alloc_bucket_large_cache_CFLAGS = $(BUCKET_TEST_CFLAGS)
tests_alloc_bucket_large_cache_LDFLAGS = $(BUCKET_PTHREAD)
tests_alloc_bucket_overflow_CFLAGS = $(BUCKET_TEST_CFLAGS)
tests_alloc_bucket_overflow_LDFLAGS = $(BUCKET_PTHREAD)
tests_alloc_bucket_realloc_place_CFLAGS = $(BUCKET_TEST_CFLAGS)
tests_alloc_bucket_realloc_place_LDFLAGS = $(BUCKET_PTHREAD)
tests_alloc_bucket_remote_merge_CFLAGS = $(BUCKET_TEST_CFLAGS)
tests_alloc_bucket_remote_merge_LDFLAGS = $(BUCKET_PTHREAD)
tests_alloc_bucket_rss_fall_CFLAGS = $(BUCKET_TEST_CFLAGS)
tests_alloc_bucket_rss_fall_LDFLAGS = $(BUCKET_PTHREAD)
tests_alloc_bucket_threads64_CFLAGS = $(BUCKET_TEST_CFLAGS)
tests_alloc_bucket_threads64_LDFLAGS = $(BUCKET_PTHREAD)
BUCKET_TESTS = \
	tests/alloc-bucket/bucket-api.test \
	tests/alloc-bucket/bucket-realprog.test \
	tests/alloc-bucket/bucket-replay.test \
	tests/alloc-bucket/bucket-stress.test \
	tests/alloc-bucket/churn.test \
	tests/alloc-bucket/detect.test \
	tests/alloc-bucket/large_cache.test \
	tests/alloc-bucket/overflow.test \
	tests/alloc-bucket/realloc_place.test \
	tests/alloc-bucket/remote_merge.test \
	tests/alloc-bucket/rss_fall.test \
	tests/alloc-bucket/threads64.test
TESTS += $(BUCKET_TESTS)
EXTRA_DIST += $(BUCKET_TESTS)
