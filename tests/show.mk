# Prints a variable of a stage's Makefile, read after it:
#   make -s -C stageN-... -f Makefile -f ../tests/show.mk show V=PROGRAMS
show:
	@echo $($(V))

.PHONY: show
