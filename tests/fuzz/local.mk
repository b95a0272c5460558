# tests/fuzz: libFuzzer harnesses, bad-input and memcheck tests (included by tests/local.mk)
