# tests/alloc-list: allocator list's wrappers around the shared harness
# (tests/alloc/) and its own unit tests.
TESTS += \
	tests/alloc-list/list-units \
	tests/alloc-list/list-api.test \
	tests/alloc-list/list-api-one-arena.test \
	tests/alloc-list/list-stress.test \
	tests/alloc-list/list-stress-one-arena.test \
	tests/alloc-list/list-realprog.test \
	tests/alloc-list/list-realprog-one-arena.test
EXTRA_DIST += \
	tests/alloc-list/list-api.test \
	tests/alloc-list/list-api-one-arena.test \
	tests/alloc-list/list-stress.test \
	tests/alloc-list/list-stress-one-arena.test \
	tests/alloc-list/list-realprog.test \
	tests/alloc-list/list-realprog-one-arena.test
# the unit tests: the list sources compiled into a test program (no
# exports.c, so the program keeps glibc's malloc for itself)
check_PROGRAMS += tests/alloc-list/list-units
tests_alloc_list_list_units_SOURCES = tests/alloc-list/list-units.c tests/alloc-list/hooks.h \
	$(LIST_SOURCES) $(ALLOC_COMMON_HDRS) src/alloc/common/options.c \
	src/alloc/common/os.c src/alloc/common/stats.c
tests_alloc_list_list_units_CFLAGS = $(ALLOC_CFLAGS)
tests_alloc_list_list_units_LDFLAGS = -pthread
