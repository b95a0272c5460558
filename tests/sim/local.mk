# tests/sim: its part of the build (included by tests/local.mk)
check_PROGRAMS += tests/sim/core
tests_sim_core_SOURCES = tests/sim/core.c
tests_sim_core_LDADD = src/sim/libsim.la
TESTS += tests/sim/core
