# Builds unit tests against one stage's runtime. It is read after the stage's
# own Makefile, so RUNTIME and HEADERS are the stage's:
#   make -C stageN-... -f Makefile -f ../tests/unit.mk tests TESTS='pool' OUT=DIR
# builds DIR/test_pool from tests/test_pool.c. STAGE is the stage's number,
# for the few tests whose calls change in a later stage (#if STAGE < 5).
TESTSRC := $(dir $(lastword $(MAKEFILE_LIST)))
STAGE := $(patsubst stage%,%,$(firstword $(subst -, ,$(notdir $(CURDIR)))))

tests: $(TESTS:%=$(OUT)/test_%)

$(OUT)/test_%: $(TESTSRC)test_%.c $(RUNTIME) $(HEADERS)
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -DSTAGE=$(STAGE) -DCOURSE_ROOT='"$(abspath $(TESTSRC)..)"' \
		-I. -o $@ $< $(RUNTIME) -lcriterion \
		$(LDFLAGS)

.PHONY: tests
