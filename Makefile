# The course. Every directory stage[0-9]-* is a stage that builds alone
# (make -C stageN-...); nothing here names a stage, so a new stage needs no
# edit here unless it brings a unit test (see TESTS_FROM_1 below).

STAGES := $(patsubst %/,%,$(sort $(wildcard stage[0-9]-*/)))

CFLAGS ?= -std=c11 -Wall -Wextra -Werror -pedantic -O2 -g
SANITIZE = -fsanitize=address,undefined -fno-omit-frame-pointer \
	-fno-sanitize-recover=all
TEST_CFLAGS = -std=c11 -Wall -Wextra -Werror -pedantic -O1 -g $(SANITIZE)
VALGRIND = valgrind -q --error-exitcode=99 --leak-check=full \
	--show-leak-kinds=all --errors-for-leak-kinds=all
SAN_ENV = ASAN_OPTIONS=detect_leaks=1 \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
B = $(CURDIR)/build
MAKEFLAGS += --no-print-directory

# Unit tests: tests/test_<name>.c, introduced at stage N, runs against every
# stage from N on. A stage that brings one adds a line TESTS_FROM_N = <name>.
TESTS_FROM_1 = pool
TESTS_FROM_2 = sched
TESTS_FROM_3 = send_throw cpython
TESTS_FROM_4 = io
TESTS_FROM_5 = subtasks

# The number of a stage, and the unit tests that run against it.
stage_num = $(patsubst stage%,%,$(firstword $(subst -, ,$1)))
stage_tests = $(foreach n,$(wordlist 1,$(call stage_num,$1),1 2 3 4 5 6 7 8 9),\
	$(TESTS_FROM_$n))

# Test binaries: unit tests first, stage by stage, then the cross-stage
# ones (they run programs, not a runtime: test_echoserver and test_httpd
# drive the servers of stages 4 and 5 over loopback); $(call test_bins,DIR).
# Built with sanitizers into build/tests, and without into build/vgtests,
# for valgrind.
test_bins = $(foreach s,$(STAGES),$(foreach t,$(call stage_tests,$s),\
	$1/$s/test_$t)) $1/test_echoserver $1/test_httpd $1/test_output \
	$1/test_quotes $1/test_layout $1/test_html $1/test_trace \
	$1/test_pictures
TB = build/tests

# $(call each,COMMAND): run COMMAND once per stage, $$s naming the stage.
each = for s in $(STAGES); do $1 || exit 1; done

all:
	@$(call each,$(MAKE) -C $$s)

# make run: each stage's own programs under a header naming its lesson;
# make run STAGE=N: stage N's only.
RUN_STAGES = $(if $(STAGE),$(wildcard stage$(STAGE)-*),$(STAGES))
run:
	@if [ -z "$(RUN_STAGES)" ]; then \
		echo "make run: STAGE must be a stage number, as in make run STAGE=1"; \
		echo "stages: $(STAGES)"; exit 2; fi
	@for s in $(RUN_STAGES); do \
		echo "==== $$(sed -n 's/^# //p' $$s/README.md | head -n 1) ($$s) ===="; \
		$(MAKE) -s -C $$s run || exit 1; \
	done

# Every stage built into build/<variant>/<stage>, with the programs of
# earlier stages that its runtime still runs (tests/carried) beside its own.
# $(call carry,VARIANT,MAKE ARGUMENTS)
carry = tests/carried | \
	awk '{ c[$$1] = c[$$1] " " $$2 "/" $$3 } END { for (s in c) print s, c[s] }' | \
	while read s list; do $(MAKE) -C $$s -f Makefile -f ../tests/carry.mk \
		carried CARRY="$$list" OUT=$(B)/$1/$$s $2 || exit 1; done
build-gcc:
	@$(call each,$(MAKE) -C $$s OUT=$(B)/gcc/$$s CC=gcc)
	@$(call carry,gcc,CC=gcc)
build-clang:
	@$(call each,$(MAKE) -C $$s OUT=$(B)/clang/$$s CC=clang)
	@$(call carry,clang,CC=clang)

# $(call run_carried,VARIANT,MAKE ARGUMENTS,ENVIRONMENT): the demos of every
# carried program, on each runtime that carries it.
run_carried = tests/carried | while read s home p; do \
	$3 $(MAKE) -C $$home -f Makefile -f ../tests/carry.mk run-carried PROG=$$p \
		OUT=$(B)/$1/$$s $2 || exit 1; done

# The demos, built with sanitizers, carried programs too; then the gcc
# build under valgrind.
run-asan:
	@$(call each,$(SAN_ENV) $(MAKE) -C $$s run OUT=$(B)/asan/$$s \
		CFLAGS='$(CFLAGS) $(SANITIZE)')
	@$(call carry,asan,CFLAGS='$(CFLAGS) $(SANITIZE)')
	@$(call run_carried,asan,,$(SAN_ENV))
run-valgrind: build-gcc
	@$(call each,$(MAKE) -C $$s run OUT=$(B)/gcc/$$s CC=gcc \
		RUNNER='$(VALGRIND)')
	@$(call run_carried,gcc,RUNNER='$(VALGRIND)')

# A unit test is built by the stage's own Makefile, read with tests/unit.mk,
# so that it links the stage's RUNTIME.
build-tests: $(TB)/test_echoserver $(TB)/test_httpd $(TB)/test_output \
	$(TB)/test_quotes $(TB)/test_layout $(TB)/test_html $(TB)/test_trace \
	$(TB)/test_pictures
	@$(foreach s,$(STAGES),$(MAKE) -C $s -f Makefile -f ../tests/unit.mk \
		tests TESTS='$(call stage_tests,$s)' OUT=$(CURDIR)/$(TB)/$s \
		CFLAGS='$(TEST_CFLAGS)' &&) true

build-vgtests:
	@$(MAKE) build-tests TB=build/vgtests SANITIZE=

$(TB)/test_%: tests/test_%.c tests/lesson.c tests/lesson.h \
		tests/server_proc.c tests/server_proc.h
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -DCOURSE_ROOT='"$(CURDIR)"' -o $@ $< \
		tests/lesson.c tests/server_proc.c -lcriterion

# The test binaries under valgrind, for memory errors only (not part of
# make test: it takes minutes, as each test runs in a process of its own).
# Criterion ignores what valgrind says in those processes: read the logs.
valgrind-tests: build-gcc build-vgtests
	@rm -rf build/logs/valgrind && mkdir -p build/logs/valgrind
	@for t in $(call test_bins,build/vgtests); do \
		echo "$$t"; \
		COURSE_BIN=$(B)/gcc $(VALGRIND) --trace-children=yes \
			--trace-children-skip='/bin/*,/usr/bin/*' \
			--log-file=$(B)/logs/valgrind/%p $$t || true; \
	done
	@if grep -q . build/logs/valgrind/*; then \
		cat build/logs/valgrind/*; exit 1; fi
	@echo "valgrind: no errors"

test:
	@echo "make test: step 1: packages"
	@tests/install-deps || { echo "make test: step 1 failed: packages"; exit 1; }
	@tests/step 2 'build every stage with gcc and clang' \
		$(MAKE) build-gcc build-clang
	@tests/step 3 'docs' $(MAKE) docs
	@tests/step 4 'demos under ASan and UBSan' $(MAKE) run-asan
	@tests/step 5 'demos under valgrind' $(MAKE) run-valgrind
	@tests/step 6 'build the tests' $(MAKE) build-tests
	@echo "make test: step 7: tests"
	@$(SAN_ENV) COURSE_BIN=$(B)/asan tests/run-tests $(call test_bins,$(TB))

# One Doxygen run per stage (the stages share names), then the course's,
# with a diff page per stage (docs/diffpage.py); then one sidebar and one
# search for all of them, and the whole course printed to a PDF
# (docs/site.py).
DOCS = build/docs
docs:
	@rm -rf $(DOCS)/html $(DOCS)/pages $(DOCS)/shots && mkdir -p $(DOCS)/html
	@python3 docs/pictures.py build $(DOCS)/pictures
	@python3 docs/diffpage.py $(DOCS)/pages
	@sed 's#@UP@#../#g' docs/header.html >$(DOCS)/header-stage.html
	@sed 's#@UP@##g' docs/header.html >$(DOCS)/header-course.html
	@$(call each,DOC_TITLE=$$s DOC_INPUT="$$s $$s/exercises" \
		DOC_MAIN=$$s/README.md \
		DOC_HTML=html/$$s DOC_HEADER=$(DOCS)/header-stage.html \
		doxygen docs/Doxyfile)
	@DOC_TITLE='The course' \
		DOC_INPUT='docs/mainpage.md docs/performance.md docs/testing.md $(DOCS)/pages' \
		DOC_TESTS='$(wildcard tests/*.c)' \
		DOC_MAIN=docs/mainpage.md DOC_HTML=html \
		DOC_HEADER=$(DOCS)/header-course.html doxygen docs/Doxyfile
	@cp docs/site.js docs/site.css $(DOCS)/pages/pygments.css $(DOCS)/html/
	@python3 docs/site.py index $(DOCS)/html
	@rm -f $(DOCS)/course.pdf
	@python3 docs/site.py book $(DOCS)/html $(DOCS)/course.pdf
	@echo "docs: open build/docs/html/index.html; the whole course: $(DOCS)/course.pdf"

# make diff FROM=1 TO=2: the code that stage 2's concept adds or changes
# (tests/stage-diff says what it shows); LESSONS=1 adds the lessons.
FROM_DIR = $(wildcard stage$(FROM)-*)
TO_DIR = $(wildcard stage$(TO)-*)

diff:
	@if [ -z "$(FROM)" ] || [ -z "$(TO)" ] || [ ! -d "$(FROM_DIR)" ] || \
	    [ ! -d "$(TO_DIR)" ]; then \
		echo "make diff: FROM and TO must be stage numbers, as in make diff FROM=1 TO=2"; \
		echo "stages: $(STAGES)"; \
		exit 2; \
	fi
	@tests/stage-diff $(FROM_DIR) $(TO_DIR) $(if $(LESSONS),lessons)

# make trace PROG=stage2-scheduler/switcher ARGS='--virtual-time': run a
# program of its home stage with tracing on (COURSE_TRACE, see trace.h).
# build/trace/<prog>.out is what it printed, .events what its runtime
# wrote, .json the Chrome trace (Perfetto opens it), .svg the swimlanes.
# A server traces until it is stopped: kill -INT it from another terminal.
TRACE = $(B)/trace
TRACE_NAME = $(notdir $(PROG))
TRACE_HOME = $(patsubst %/,%,$(dir $(PROG)))
trace:
	@if [ -z "$(PROG)" ] || [ ! -f "$(PROG).c" ]; then \
		echo "make trace: PROG must name a program, as in make trace PROG=stage1-basic-yield/pool"; \
		exit 2; fi
	@$(MAKE) -C $(TRACE_HOME) OUT=$(TRACE)/bin/$(TRACE_HOME) \
		$(TRACE)/bin/$(PROG)
	@cd $(TRACE_HOME) && COURSE_TRACE=$(TRACE)/$(TRACE_NAME).events \
		$(TRACE)/bin/$(PROG) $(ARGS) >$(TRACE)/$(TRACE_NAME).out; \
		status=$$?; [ $$status -eq 0 ] || \
		echo "make trace: $(PROG) exited with status $$status"
	@python3 tests/trace.py $(TRACE)/$(TRACE_NAME).events \
		$(TRACE)/$(TRACE_NAME).out
	@echo "trace: $(TRACE)/$(TRACE_NAME).json $(TRACE)/$(TRACE_NAME).svg"

bench:
	@if [ -f bench/Makefile ]; then $(MAKE) -C bench; \
	else echo "make bench: there are no benchmarks yet (no bench/Makefile)"; exit 1; fi

clean:
	@$(call each,$(MAKE) -C $$s clean)
	rm -rf build

.PHONY: all run build-gcc build-clang run-asan run-valgrind build-tests \
	build-vgtests valgrind-tests test docs diff trace bench clean

# make exercises, make exercise EX=N.K, and their test.
include tests/exercises/exercises.mk
