# tests/stress: allocator stress and real programs under each allocator (included by tests/local.mk)
