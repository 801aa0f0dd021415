#include <libssh/libssh.h>
