#include <stdarg.h>
#include "windef.h"
#include "winbase.h"
#include "wine/test.h"
START_TEST(bitsadmin) { ok(1, "placeholder\n"); }
