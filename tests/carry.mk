# Builds programs of earlier stages against one stage's runtime. It is read
# after the stage's own Makefile, so RUNTIME and HEADERS are the stage's:
#   make -C stageN-... -f Makefile -f ../tests/carry.mk carried \
#       CARRY='stage1-basic-yield/pool ...' OUT=DIR
# builds DIR/pool from a copy of ../stage1-basic-yield/pool.c in
# DIR/carried/, so that its #include "task.h" finds this stage's task.h
# (through -I.) and not the one beside the original. A carried program is
# one .c file.
carried: $(foreach c,$(CARRY),$(OUT)/$(notdir $c))

define carry_rule
$(OUT)/$(notdir $1): ../$1.c $(RUNTIME) $(HEADERS)
	@mkdir -p $(OUT)/carried
	cp ../$1.c $(OUT)/carried/
	$$(CC) $$(CFLAGS) -I. -o $$@ $(OUT)/carried/$(notdir $1).c $(RUNTIME) \
		$$(LDFLAGS)
endef
$(foreach c,$(CARRY),$(eval $(call carry_rule,$c)))

.PHONY: carried
