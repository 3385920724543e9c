# Builds programs of earlier stages against one stage's runtime. It is read
# after the stage's own Makefile, so RUNTIME and HEADERS are the stage's:
#   make -C stageN-... -f Makefile -f ../tests/carry.mk carried \
#       CARRY='stage1-basic-yield/pool ...' OUT=DIR
# builds DIR/pool from a copy of ../stage1-basic-yield/pool.c in
# DIR/carried/, so that its #include "task.h" finds this stage's task.h
# (through -I.) and not the one beside the original. A carried program is
# one .c file, with the .c files of its home stage that it includes (stage
# 4's echodemo includes echoserver.c): they are copied beside it.
#
# Read after the home stage's Makefile instead, it runs the demos of one
# program built that way:
#   make -C stage1-basic-yield -f Makefile -f ../tests/carry.mk \
#       run-carried PROG=pool OUT=DIR
# runs every demo of DEMOS that starts with pool, as DIR/pool.
carried: $(foreach c,$(CARRY),$(OUT)/$(notdir $c))

carry_srcs = ../$1.c $(addprefix ../$(dir $1),\
	$(shell sed -n 's/^#include "\(.*\.c\)".*/\1/p' ../$1.c))

define carry_rule
$(OUT)/$(notdir $1): $(call carry_srcs,$1) $(RUNTIME) $(HEADERS)
	@mkdir -p $(OUT)/carried
	cp $(call carry_srcs,$1) $(OUT)/carried/
	$$(CC) $$(CFLAGS) -I. -o $$@ $(OUT)/carried/$(notdir $1).c $(RUNTIME) \
		$$(LDFLAGS)
endef
$(foreach c,$(CARRY),$(eval $(call carry_rule,$c)))

run-carried:
	@for d in $(DEMOS); do \
		case "$$d" in $(PROG) | "$(PROG) "*) ;; *) continue ;; esac; \
		echo "--- ./$$d, on the runtime of $(notdir $(OUT))"; \
		$(RUNNER) $(OUT)/$$d || exit 1; \
	done

.PHONY: carried run-carried
