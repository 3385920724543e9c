# The exercises that check themselves; read by the top-level Makefile.
#   make exercises          every exercise and its state
#   make exercise EX=1.2    build stage 1's exercise 2, run it, say what
#                           differs
# Exercise programs get the sanitizers of the binary that builds them: the
# tool and build/tests/test_exercises use them, build/vgtests' copy (run
# under valgrind) does not.
EXERCISE_SRC = $(addprefix tests/exercises/,exercise.c checks.c compare.c \
	run.c splice.c text.c)
EXERCISE_DEPS = $(EXERCISE_SRC) tests/exercises/exercise.h
exercise_flags = -DCOURSE_ROOT='"$(CURDIR)"' \
	-DEXERCISE_SANITIZE='"$(strip $1)"' \
	-DEXERCISE_BUILD='"$(CURDIR)/build/exercises/$(if $(strip $1),san,plain)"'

build/exercise: tests/exercises/main.c $(EXERCISE_DEPS)
	@mkdir -p $(@D)
	@$(CC) $(TEST_CFLAGS) $(call exercise_flags,$(SANITIZE)) -o $@ $< \
		$(EXERCISE_SRC)

exercises: build/exercise
	@$(SAN_ENV) build/exercise list

exercise: build/exercise
	@$(SAN_ENV) build/exercise check '$(EX)'

# make test: each check passes on its solutions and fails on its starter.
$(TB)/test_exercises: tests/test_exercises.c $(EXERCISE_DEPS)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(call exercise_flags,$(SANITIZE)) \
		-Itests/exercises -o $@ $< $(EXERCISE_SRC) -lcriterion

build-tests: $(TB)/test_exercises
test_bins += $1/test_exercises

.PHONY: exercises exercise
