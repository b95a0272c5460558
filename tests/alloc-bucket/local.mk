# tests/alloc-bucket: its part of the build (included by tests/local.mk)
check_PROGRAMS += tests/alloc-bucket/size_class_test
tests_alloc_bucket_size_class_test_SOURCES = \
	tests/alloc-bucket/size_class_test.c \
	src/alloc/bucket/size_class.c
TESTS += tests/alloc-bucket/size_class_test
