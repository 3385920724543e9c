/**
 * @file args.h
 * @brief Reading a program's command line: the usage message, and numbers.
 */
#ifndef ARGS_H
#define ARGS_H

/**
 * Print @p usage on stderr and exit with status 2.
 * @param usage the program's usage message: "usage: NAME …", lines ending
 *              in a newline
 */
_Noreturn void args_usage(const char *usage);

/**
 * Read @p s, the value of option @p opt, as a whole number from @p lo to
 * @p hi. Anything else is an error: print why and @p usage, exit with 2.
 * @param usage the program's usage message, as for args_usage()
 * @param opt the option, e.g. "-n"
 * @param s what followed it on the command line
 * @param lo the smallest number allowed
 * @param hi the largest number allowed
 * @return the number
 */
long args_number(const char *usage, const char *opt, const char *s, long lo,
                 long hi);

#endif
