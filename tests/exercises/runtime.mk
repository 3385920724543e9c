# Builds a stage's runtime as objects for the exercises, and prints their
# paths. It is read after the stage's own Makefile, so RUNTIME and HEADERS
# are the stage's:
#   make -s -C stageN-... -f Makefile -f ../tests/exercises/runtime.mk \
#       exercise-runtime OUT=DIR CFLAGS='...'
EXERCISE_OBJECTS = $(RUNTIME:%.c=$(OUT)/%.o)

exercise-runtime: $(EXERCISE_OBJECTS)
	@echo $(EXERCISE_OBJECTS)

$(OUT)/%.o: %.c $(HEADERS)
	@mkdir -p $(OUT)
	@$(CC) $(CFLAGS) -c -o $@ $<

.PHONY: exercise-runtime
