# docs: its part of the build (included by Makefile.am).  The folders that own
# a document list it in their own local.mk; the shared ones are listed here.
EXTRA_DIST += README.md docs/BENCHMARKS.md docs/RELIABILITY.md \
	docs/alloc-bucket.md docs/huskysim.md \
	docs/benchmarks/bucket.md docs/benchmarks/bucket-2026-11-23.md \
	docs/benchmarks/bucket-2026-11-24.md docs/benchmarks/bucket-2026-11-24-late.md \
	docs/benchmarks/bucket-2026-11-25.md docs/benchmarks/bucket-2026-11-25-early.md \
	docs/benchmarks/bucket-2026-11-25-late.md \
	docs/benchmarks/sim.md docs/benchmarks/trace.md \
	docs/benchmarks/scaling-2026-11-24.md docs/benchmarks/bucket-model.py
