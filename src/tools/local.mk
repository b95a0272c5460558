# src/tools: its part of the build (included by Makefile.am)
#
# huskytrace: one program, one gengetopt parser per subcommand.  Another
# folder adding a subcommand appends its sources with
#   src_tools_huskytrace_SOURCES += src/tools/NAME.c
# and its parser with the huskytrace_ggo rule pattern below.
bin_PROGRAMS += src/tools/huskytrace
src_tools_huskytrace_SOURCES = \
	src/tools/huskytrace.c \
	src/tools/tools.h \
	src/tools/inputs.c \
	src/tools/heap.c \
	src/tools/callers.c \
	src/tools/info.c \
	src/tools/dump.c \
	src/tools/validate.c
src_tools_huskytrace_LDADD = src/tools/libhuskytrace_cmdline.la src/trace/libhtr.la

# the generated parsers, built with relaxed warnings and shipped
huskytrace_ggo_generated = \
	src/tools/cmdline_info.c src/tools/cmdline_info.h \
	src/tools/cmdline_dump.c src/tools/cmdline_dump.h \
	src/tools/cmdline_validate.c src/tools/cmdline_validate.h
noinst_LTLIBRARIES += src/tools/libhuskytrace_cmdline.la
src_tools_libhuskytrace_cmdline_la_SOURCES = $(huskytrace_ggo_generated)
src_tools_libhuskytrace_cmdline_la_CFLAGS = $(AM_CFLAGS) $(GGO_CFLAGS)
BUILT_SOURCES += $(huskytrace_ggo_generated)
EXTRA_DIST += src/tools/info.ggo src/tools/dump.ggo src/tools/validate.ggo

# gengetopt -i X.ggo makes cmdline_X.{c,h} with cmdline_X() and struct X_args
HUSKYTRACE_GGO = $(GENGETOPT) --unnamed-opts=TRACE --no-handle-error --output-dir=src/tools
src/tools/cmdline_info.h: src/tools/cmdline_info.c
src/tools/cmdline_info.c: $(srcdir)/src/tools/info.ggo
	$(AM_V_GEN)$(MKDIR_P) src/tools && $(HUSKYTRACE_GGO) -i $< -F cmdline_info \
	  --func-name=cmdline_info --arg-struct-name=info_args
src/tools/cmdline_dump.h: src/tools/cmdline_dump.c
src/tools/cmdline_dump.c: $(srcdir)/src/tools/dump.ggo
	$(AM_V_GEN)$(MKDIR_P) src/tools && $(HUSKYTRACE_GGO) -i $< -F cmdline_dump \
	  --func-name=cmdline_dump --arg-struct-name=dump_args
src/tools/cmdline_validate.h: src/tools/cmdline_validate.c
src/tools/cmdline_validate.c: $(srcdir)/src/tools/validate.ggo
	$(AM_V_GEN)$(MKDIR_P) src/tools && $(HUSKYTRACE_GGO) -i $< -F cmdline_validate \
	  --func-name=cmdline_validate --arg-struct-name=validate_args

dist_doc_DATA += docs/huskytrace.md

# the man page: huskytrace --help, plus each command's --help in a COMMANDS
# section (help2man --include); commands added elsewhere appear by being in
# `huskytrace --help`
if HAVE_HELP2MAN
nodist_man1_MANS += src/tools/huskytrace.1
CLEANFILES += src/tools/huskytrace.1 src/tools/huskytrace.h2m
src/tools/huskytrace.1: src/tools/huskytrace$(EXEEXT)
	$(AM_V_GEN){ echo '[COMMANDS]'; \
	  for c in `./src/tools/huskytrace --help | $(AWK) '/^Commands:/ {on=1; next} \
	      on && /^  [a-z]/ {print $$1} on && /^$$/ {on=0}'`; do \
	    echo '.SS'; echo "huskytrace $$c"; echo '.nf'; \
	    ./src/tools/huskytrace $$c --help | $(SED) -e 's/\\/\\e/g' -e "s/^[.']/\\\\\&&/"; \
	    echo '.fi'; \
	  done; } >src/tools/huskytrace.h2m
	$(AM_V_at)$(HELP2MAN) --no-info -N -n "record, inspect and check husky malloc traces" \
	  -i src/tools/huskytrace.h2m -o $@ ./src/tools/huskytrace
endif
