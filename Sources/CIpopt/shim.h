// Ipopt's C interface. Debian's coinor-libipopt-dev (3.11) installs it as <coin/IpStdCInterface.h>;
// Homebrew's ipopt (3.14) as <coin-or/IpStdCInterface.h>, whose directory pkg-config adds to the path.
#if __has_include(<coin/IpStdCInterface.h>)
#include <coin/IpStdCInterface.h>
#elif __has_include(<coin-or/IpStdCInterface.h>)
#include <coin-or/IpStdCInterface.h>
#else
#include <IpStdCInterface.h>
#endif
