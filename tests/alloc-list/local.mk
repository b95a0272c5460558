# tests/alloc-list: its part of the build (included by tests/local.mk)
