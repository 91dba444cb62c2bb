// stdbool.h must come before ldns: ldns/common.h otherwise defines `bool`
// as `signed char`, which Swift imports as Int8.
#include <stdbool.h>
#include <stdio.h>
#include <ldns/ldns.h>
