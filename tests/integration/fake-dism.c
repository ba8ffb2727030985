/*
 * fake-dism.c: a Windows console program standing in for Dism.exe and
 * shutdown.exe when test_stage.sh runs ntmend's next-boot runner under
 * wine's cmd.exe. Built at test time for x86_64 Windows with clang and
 * lld-link, without a C library (only kernel32 imports):
 *
 *   clang -target x86_64-pc-windows-msvc -ffreestanding -c fake-dism.c
 *   lld-link /entry:fake_main /subsystem:console /nodefaultlib ...
 *
 * Every run appends its command line to C:\fake.log. What it does is
 * decided by the environment variable FAKE_RULES, "TEXT=ACTION;...": the
 * first rule whose TEXT is in the command line wins; ACTION is an exit
 * code in decimal (-2146498529 is 0x800f081f) or "kill", which ends the
 * parent process (the runner) as a power cut would, then itself. No rule:
 * exit 0.
 */

typedef unsigned short		wchar;
typedef void			*handle;
typedef unsigned long		dword;
typedef unsigned long long	ulong_ptr;

#define STD_OUTPUT_HANDLE	((dword)-11)
#define GENERIC_WRITE		0x40000000ul
#define FILE_SHARE_RW		0x3ul
#define OPEN_ALWAYS		4ul
#define FILE_APPEND_DATA	0x4ul
#define TH32CS_SNAPPROCESS	0x2ul
#define PROCESS_TERMINATE	0x1ul
#define INVALID_HANDLE		((handle)(long long)-1)

struct process_entry {			/* PROCESSENTRY32W */
	dword		size;
	dword		usage;
	dword		pid;
	ulong_ptr	heap;
	dword		module;
	dword		threads;
	dword		ppid;
	long		priority;
	dword		flags;
	wchar		exe[260];
};

__declspec(dllimport) wchar *__stdcall GetCommandLineW(void);
__declspec(dllimport) void __stdcall ExitProcess(unsigned);
__declspec(dllimport) dword __stdcall GetEnvironmentVariableA(const char *,
    char *, dword);
__declspec(dllimport) handle __stdcall CreateFileA(const char *, dword, dword,
    void *, dword, dword, handle);
__declspec(dllimport) int __stdcall WriteFile(handle, const void *, dword,
    dword *, void *);
__declspec(dllimport) int __stdcall CloseHandle(handle);
__declspec(dllimport) handle __stdcall CreateToolhelp32Snapshot(dword, dword);
__declspec(dllimport) int __stdcall Process32FirstW(handle,
    struct process_entry *);
__declspec(dllimport) int __stdcall Process32NextW(handle,
    struct process_entry *);
__declspec(dllimport) dword __stdcall GetCurrentProcessId(void);
__declspec(dllimport) handle __stdcall OpenProcess(dword, int, dword);
__declspec(dllimport) int __stdcall TerminateProcess(handle, unsigned);

static char	line[4096];
static char	rules[4096];

/* clang may emit calls to these for loops over arrays. */
void	*memset(void *, int, unsigned long long);
void *
memset(void *p, int c, unsigned long long n)
{
	unsigned char	*b = p;

	while (n-- > 0)
		*b++ = (unsigned char)c;
	return p;
}

void	*memcpy(void *, const void *, unsigned long long);
void *
memcpy(void *d, const void *s, unsigned long long n)
{
	unsigned char		*o = d;
	const unsigned char	*i = s;

	while (n-- > 0)
		*o++ = *i++;
	return d;
}

static int
contains(const char *hay, const char *needle, unsigned long nlen)
{
	unsigned long	i;

	for (; *hay != '\0'; hay++) {
		for (i = 0; i < nlen && hay[i] != '\0' && hay[i] == needle[i];
		    i++)
			;
		if (i == nlen)
			return 1;
	}
	return 0;
}

static void
kill_parent(void)
{
	struct process_entry	pe;
	handle			snap, h;
	dword			me = GetCurrentProcessId(), ppid = 0;

	snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	if (snap == INVALID_HANDLE)
		return;
	memset(&pe, 0, sizeof pe);
	pe.size = sizeof pe;
	if (Process32FirstW(snap, &pe)) {
		do {
			if (pe.pid == me)
				ppid = pe.ppid;
		} while (Process32NextW(snap, &pe));
	}
	CloseHandle(snap);
	if (ppid != 0 && (h = OpenProcess(PROCESS_TERMINATE, 0, ppid)) != 0) {
		TerminateProcess(h, 1);
		CloseHandle(h);
	}
}

void __stdcall
fake_main(void)
{
	wchar		*c = GetCommandLineW();
	unsigned long	 n = 0, i, j, k;
	long long	 rc = 0;
	int		 neg = 0;
	handle		 f;
	dword		 w;

	for (; *c != 0 && n < sizeof line - 3; c++)
		line[n++] = *c < 0x80 ? (char)*c : '?';
	line[n] = '\0';
	f = CreateFileA("C:\\fake.log", FILE_APPEND_DATA, FILE_SHARE_RW, 0,
	    OPEN_ALWAYS, 0, 0);
	if (f != INVALID_HANDLE) {
		line[n] = '\r';
		line[n + 1] = '\n';
		WriteFile(f, line, n + 2, &w, 0);
		line[n] = '\0';
		CloseHandle(f);
	}
	if (GetEnvironmentVariableA("FAKE_RULES", rules, sizeof rules) == 0)
		ExitProcess(0);
	for (i = 0; rules[i] != '\0'; i = k + (rules[k] == ';')) {
		for (j = i; rules[j] != '\0' && rules[j] != '='; j++)
			;
		for (k = j; rules[k] != '\0' && rules[k] != ';'; k++)
			;
		if (rules[j] != '=' || !contains(line, rules + i, j - i))
			continue;
		j++;
		if (rules[j] == 'k') {
			kill_parent();
			ExitProcess(1);
		}
		if (rules[j] == '-') {
			neg = 1;
			j++;
		}
		for (; j < k && rules[j] >= '0' && rules[j] <= '9'; j++)
			rc = rc * 10 + (rules[j] - '0');
		ExitProcess((unsigned)(neg ? -rc : rc));
	}
	ExitProcess(0);
}
