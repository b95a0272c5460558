# tests/capture: its part of the build (included by tests/local.mk)
