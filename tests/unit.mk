# Builds unit tests against one stage's runtime. It is read after the stage's
# own Makefile, so RUNTIME and HEADERS are the stage's:
#   make -C stageN-... -f Makefile -f ../tests/unit.mk tests TESTS='pool' OUT=DIR
# builds DIR/test_pool from tests/test_pool.c.
TESTSRC := $(dir $(lastword $(MAKEFILE_LIST)))

tests: $(TESTS:%=$(OUT)/test_%)

$(OUT)/test_%: $(TESTSRC)test_%.c $(RUNTIME) $(HEADERS)
	@mkdir -p $(OUT)
	$(CC) $(CFLAGS) -I. -o $@ $< $(RUNTIME) -lcriterion $(LDFLAGS)

.PHONY: tests
