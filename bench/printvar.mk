# Read after a stage's own Makefile: `make -f Makefile -f printvar.mk
# print-RUNTIME` prints that stage's RUNTIME (the .c files of its runtime).
print-%:
	@echo '$($*)'
