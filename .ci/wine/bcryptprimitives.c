/*
 * Test-only stand-in for Windows' bcryptprimitives.dll, for Wine 8 (Debian 12), which
 * lacks ProcessPrng (Wine 9 has it). Go 1.22 and later call ProcessPrng for all random
 * numbers and refuse to start without it. This DLL forwards to advapi32's RtlGenRandom
 * (SystemFunction036), which Wine 8 has. .ci/wine/prefix.sh builds it into the private
 * Wine prefix of the tests; it is never part of a Postfach build.
 */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
	while (length > 0) {
		ULONG n = length > 0x40000000 ? 0x40000000 : (ULONG)length;
		if (!SystemFunction036(data, n))
			return FALSE;
		data += n;
		length -= n;
	}
	return TRUE;
}
